/**
 * A throwaway directory per test: repository, cache, key files and sample
 * data all live inside it, so tests never touch ~/.cache or each other.
 */
import { createHash } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { cliOk, runCli, type CliResult, type RunOptions } from "./run-cli.js";
import { TEMP_PREFIX } from "../../../src/storage/storage-key.js";

export interface Workspace {
  dir: string;
  repo: string;
  cache: string;
  agentKey: string;
  /** Default identity file (`id.txt`) and its recipient, once `addIdentity` created them. */
  identity: string;
  src: string;
  cleanup(): Promise<void>;
}

/** `base`: where the workspace goes (default: the temp dir, whose mtime other tests keep changing). */
export async function newWorkspace(label: string, base = tmpdir()): Promise<Workspace> {
  const dir = await mkdtemp(join(base, `cairn-e2e-${label}-`));
  const ws: Workspace = {
    dir,
    repo: join(dir, "repo"),
    cache: join(dir, "cache"),
    agentKey: join(dir, "agent.key"),
    identity: join(dir, "id.txt"),
    src: join(dir, "src"),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  await mkdir(ws.src);
  return ws;
}

/** `cairn key generate --output <file>`; returns the recipient it prints. */
export async function generateIdentity(file: string): Promise<string> {
  const r = await cliOk(["key", "generate", "--output", file]);
  const recipient = r.stdout.trim();
  if (!/^age1[0-9a-z]+$/.test(recipient)) throw new Error(`key generate printed ${JSON.stringify(r.stdout)}`);
  return recipient;
}

/** Generate the default identity and init the repository for it (recipients only: the agent gets no identity). */
export async function initWorkspace(label: string, base?: string): Promise<Workspace & { recipient: string }> {
  const ws = await newWorkspace(label, base);
  const recipient = await generateIdentity(ws.identity);
  await cliOk(["init", "--repo", ws.repo, "--recipient", recipient, "--agent-key-file", ws.agentKey]);
  return { ...ws, recipient };
}

/** --repo and --cache-dir, plus the agent key unless `agent: false`, plus `--identity` when given. */
export function repoFlags(ws: Workspace, o: { agent?: boolean; identity?: string } = {}): string[] {
  const flags = ["--repo", ws.repo, "--cache-dir", ws.cache];
  if (o.agent !== false) flags.push("--agent-key-file", ws.agentKey);
  if (o.identity) flags.push("--identity", o.identity);
  return flags;
}

/** `cairn backup --json <paths>` with the agent key only; returns the parsed summary line. */
export async function backupJson(
  ws: Workspace,
  paths: string[] = [ws.src],
  run: RunOptions = {},
): Promise<{ result: CliResult; summary: Record<string, unknown> & { snapshot: string } }> {
  const result = await runCli(["backup", ...repoFlags(ws), "--json", ...paths], run);
  const lines = result.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = lines.find((l) => l.type === "summary") as
    (Record<string, unknown> & { snapshot: string }) | undefined;
  if (!summary)
    throw new Error(
      `backup printed no summary (exit ${result.code})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  return { result, summary };
}

/** Every object in a local repository, as sorted repository keys (`data/ab/ab...`). */
export async function listObjects(repoDir: string, under = ""): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      // A write killed midway leaves its temp file (cleaned up later by age): not an object.
      else if (!e.name.startsWith(TEMP_PREFIX)) out.push(relative(repoDir, p).split(sep).join("/"));
    }
  }
  await walk(join(repoDir, under));
  return out.sort();
}

/**
 * The stat fields of every directory from `/` down to `path`. A snapshot's
 * root tree records the ancestors of the backed-up path, so when one of them
 * changes (another process creating a file in /tmp) the next backup rightly
 * writes new tree blobs; tests asserting "nothing new uploaded" use this to
 * tell that apart from a real regression.
 */
export async function ancestorStamp(path: string): Promise<string> {
  const parts: string[] = [];
  for (let p = dirname(path); ; p = dirname(p)) {
    const st = await lstat(p, { bigint: true });
    parts.push(`${p}:${st.mtimeNs}:${st.ctimeNs}`);
    if (p === dirname(p)) break;
  }
  return parts.join("|");
}

/** Make a workspace usable by user nobody (mkdtemp creates it 0700). */
export async function openUpForOthers(ws: Workspace): Promise<void> {
  await chmod(ws.dir, 0o755);
}

/** Every object with the SHA-256 of its bytes: equal fingerprints mean nothing in the repository was added, removed or changed. */
export async function repoFingerprint(repoDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const key of await listObjects(repoDir))
    out.push(
      `${key} ${createHash("sha256")
        .update(await readFile(join(repoDir, key)))
        .digest("hex")}`,
    );
  return out;
}
