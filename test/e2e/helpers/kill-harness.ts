import { mulberry32 } from "../../helpers/prng.js";
/**
 * Shared pieces for the crash / kill / integrity end-to-end tests: seeded
 * randomness (printed, replayable), deterministic datasets, a CLI runner,
 * repository setup and byte-exact tree manifests.
 */
import { spawn } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  lstatSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AgentKey } from "../../../src/crypto/agent-key.js";
import { generateIdentity, type AgeIdentity } from "../../../src/crypto/age-keys.js";
import type { ChunkerParams } from "../../../src/chunker/fastcdc.js";
import { Repository } from "../../../src/repository/repository.js";
import { LocalStorage } from "../../../src/storage/local/local-storage.js";

export const CLI = fileURLToPath(new URL("../../../bin/cairn.js", import.meta.url));

/**
 * The seed for a randomised test: `CAIRN_TEST_SEED` replays a run, otherwise a
 * fresh one. Printed so a failure can be replayed.
 */
export function testSeed(label: string): number {
  const env = process.env.CAIRN_TEST_SEED;
  const seed = env !== undefined && env !== "" ? Number(env) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  console.log(`[${label}] seed=${seed} (replay with CAIRN_TEST_SEED=${seed})`);
  return seed;
}

/** Uniform floats in [0, 1) from a seed. */
export function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** `n` incompressible bytes determined by (seed, stream): AES-256-CTR keystream. */
export function seededBytes(seed: number, stream: string, n: number): Buffer {
  const key = createHash("sha256").update(`${seed}/${stream}`).digest();
  return createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

/** Compressible text of about `n` bytes, determined by (seed, stream). */
export function seededText(seed: number, stream: string, n: number): Buffer {
  const words = [
    "cairn",
    "backup",
    "pack",
    "index",
    "snapshot",
    "restore",
    "blob",
    "tree",
    "chunk",
    "zstd",
    "age",
    "stream",
    "offsite",
    "disk",
    "fsync",
  ];
  const r = rng(createHash("sha256").update(`${seed}/${stream}`).digest().readUInt32LE(0));
  const parts: string[] = [];
  let len = 0;
  let line = 0;
  while (len < n) {
    const w = `${line++} ${words[Math.floor(r() * words.length)]} ${Math.floor(r() * 1e6)} ${words[Math.floor(r() * words.length)]}\n`;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join("")).subarray(0, n);
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `cairn-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI to completion. */
export function runCli(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", rej);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

/** JSON lines of a `--json` run; non-JSON lines are ignored. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of stdout.split("\n")) {
    if (!l.startsWith("{")) continue;
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

export interface TestRepo {
  dir: string;
  repo: string;
  agentKeyFile: string;
  identityFile: string;
  cacheDir: string;
  agentKey: AgentKey;
  identity: AgeIdentity;
  /** --repo, --agent-key-file and --cache-dir. */
  args: string[];
}

/**
 * A local repository made through the library (saves two CLI start-ups),
 * with the agent key and identity written to files the CLI can use.
 */
export async function makeRepo(dir: string, o: { packSize?: number; chunker?: ChunkerParams } = {}): Promise<TestRepo> {
  const identity = generateIdentity();
  const repo = join(dir, "repo");
  const { agentKey } = await Repository.init(new LocalStorage(repo), {
    recipients: [identity.recipient],
    packSize: o.packSize,
    chunker: o.chunker,
  });
  const agentKeyFile = join(dir, "agent.key");
  const identityFile = join(dir, "identity.txt");
  writeFileSync(agentKeyFile, agentKey.toFileContents(), { mode: 0o600 });
  writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });
  const cacheDir = join(dir, "cache");
  return {
    dir,
    repo,
    agentKeyFile,
    identityFile,
    cacheDir,
    agentKey,
    identity,
    args: ["--repo", repo, "--agent-key-file", agentKeyFile, "--cache-dir", cacheDir],
  };
}

export async function openRepo(t: TestRepo, withIdentity = true): Promise<Repository> {
  return Repository.open(new LocalStorage(t.repo), {
    agentKey: t.agentKey,
    identities: withIdentity ? [t.identity] : undefined,
  });
}

/** Relative path -> "file:<size>:<sha256>", "dir", or "symlink:<target>", for every entry under `root`. */
export type Manifest = Record<string, string>;

export function manifest(root: string): Manifest {
  const out: Manifest = {};
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[r] = "dir";
        walk(p, r);
      } else if (st.isSymbolicLink()) out[r] = `symlink:${readlinkSync(p)}`;
      else if (st.isFile()) out[r] = fileEntry(readFileSync(p));
      else out[r] = "special";
    }
  };
  walk(root, "");
  return out;
}

export function fileEntry(bytes: Uint8Array): string {
  return `file:${bytes.length}:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Write `files` (relative path -> bytes) under `root`, creating directories. */
export function writeTree(root: string, files: Record<string, Uint8Array>): void {
  for (const [rel, bytes] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, bytes);
  }
}

/** Object keys under a repository directory (temp files included when asked). */
export function listObjects(repoDir: string, prefix: string, includeTemp = false): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (lstatSync(p).isDirectory()) walk(p, r);
      else if (includeTemp || !name.startsWith(".tmp-")) out.push(r);
    }
  };
  walk(join(repoDir, prefix), prefix.replace(/\/$/, ""));
  return out;
}
