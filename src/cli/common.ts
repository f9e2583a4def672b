import { readFile, writeFile, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { UsageError } from "../errors.js";
import { AgentKey } from "../crypto/agent-key.js";
import { parseIdentityFile, type AgeIdentity } from "../crypto/age-keys.js";
import { openStorage } from "../storage/open-storage.js";
import { storageOpenOptions, storageOptions, type StorageFlags } from "./storage-options.js";
import { Repository } from "../repository/repository.js";

export interface RepoOpts extends StorageFlags {
  repo?: string;
  agentKeyFile?: string;
  identity?: string;
  cacheDir?: string;
  json?: boolean;
}

/** Every command that touches a repository takes these; each also reads an environment variable. */
export function repoOptions(cmd: Command, withIdentity = true): Command {
  cmd.addOption(new Option("-r, --repo <url>", "repository: a directory, file:///path, s3://bucket/prefix or azure://container/prefix").env("CAIRN_REPO"));
  cmd.addOption(new Option("--agent-key-file <file>", "agent key file (or CAIRN_AGENT_KEY with the key itself)").env("CAIRN_AGENT_KEY_FILE"));
  if (withIdentity) cmd.addOption(new Option("-i, --identity <file>", "restore identity file (AGE-SECRET-KEY-1...)").env("CAIRN_IDENTITY_FILE"));
  cmd.addOption(new Option("--cache-dir <dir>", "local cache directory").env("CAIRN_CACHE_DIR"));
  return storageOptions(cmd);
}

export function requireRepo(o: RepoOpts): string {
  if (!o.repo) throw new UsageError("no repository given", { hint: "pass --repo or set CAIRN_REPO" });
  return o.repo;
}

export async function loadAgentKey(o: RepoOpts): Promise<AgentKey | undefined> {
  if (o.agentKeyFile) {
    const text = await readFile(o.agentKeyFile, "utf8").catch((e: Error) => {
      throw new UsageError(`cannot read agent key file ${o.agentKeyFile}: ${e.message}`);
    });
    return AgentKey.parse(text, o.agentKeyFile);
  }
  const env = process.env.CAIRN_AGENT_KEY;
  return env ? AgentKey.parse(env, "CAIRN_AGENT_KEY") : undefined;
}

export async function loadIdentities(o: RepoOpts): Promise<AgeIdentity[] | undefined> {
  if (!o.identity) return undefined;
  const text = await readFile(o.identity, "utf8").catch((e: Error) => {
    throw new UsageError(`cannot read identity file ${o.identity}: ${e.message}`);
  });
  return parseIdentityFile(text, o.identity);
}

export async function openRepo(o: RepoOpts): Promise<Repository> {
  const storage = await openStorage(requireRepo(o), storageOpenOptions(o));
  const [agentKey, identities] = await Promise.all([loadAgentKey(o), loadIdentities(o)]);
  const repo = await Repository.open(storage, { agentKey, identities });
  // Damage worked around (a skipped snapshot or index file, a missing pack) is said once, on stderr.
  repo.onWarning = (w) => process.stderr.write(`warning: ${w.kind} ${w.key}: ${w.message}\n`);
  return repo;
}

/** Cache root: --cache-dir, else $XDG_CACHE_HOME/cairn, else ~/.cache/cairn; one subdirectory per repository id. */
export function cacheDirFor(o: RepoOpts, repoId: string): string {
  const base = o.cacheDir ?? (process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "cairn") : join(homedir(), ".cache", "cairn"));
  return join(base, repoId);
}

/** Write a secret file readable only by its owner; never overwrite one. `option` names the flag that chose `path`, for the hint. */
export async function writeSecretFile(path: string, contents: string, option = "--output"): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, contents, { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EEXIST") throw new UsageError(`${path} already exists; refusing to overwrite a key`, { hint: `choose another ${option} path or remove the old file yourself` });
    throw e;
  });
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v) + "\n");
}

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
