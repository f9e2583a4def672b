import { lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";
import { generateIdentity, type AgeIdentity } from "../../../src/crypto/age-keys.js";
import type { AgentKey } from "../../../src/crypto/agent-key.js";
import type { ChunkerParams } from "../../../src/chunker/fastcdc.js";
import type { BlobId } from "../../../src/core/ids.js";
import { openIndex } from "../../../src/repository/format/index-file.js";
import { Repository } from "../../../src/repository/repository.js";
import { backupPaths, type BackupOptions, type BackupResult } from "../../../src/pipeline/backup.js";
import { listTree } from "../../../src/restore/list-tree.js";
import { restoreSnapshot, type RestoreOptions, type RestoreSummary } from "../../../src/restore/restore-tree.js";
import { LocalStorage } from "../../../src/storage/local/local-storage.js";
import { WorkerCodec } from "../../../src/pipeline/worker-codec.js";

/**
 * One base directory per test file (removed after all its tests), everything
 * else made inside it. Keeping the number of entries created directly in the
 * shared temp dir low keeps its mtime (which the snapshot's virtual `/tmp`
 * node records) from changing between two backups of the same tree.
 */
export function useWorkDir(label: string): () => string {
  let base: string | undefined;
  let n = 0;
  afterAll(() => {
    if (base !== undefined && !process.env.CAIRN_KEEP_TMP) rmSync(base, { recursive: true, force: true });
  });
  return () => {
    base ??= mkdtempSync(join(process.env.CAIRN_TEST_TMP ?? tmpdir(), `cairn-${label}-`));
    return join(base, `w${n++}`);
  };
}

export interface TestRepo {
  storage: LocalStorage;
  agentKey: AgentKey;
  identity: AgeIdentity;
  cacheDir: string;
  /** A fresh Repository handle with the agent key only, as a backup run would open it. */
  writer(): Promise<Repository>;
  /** A fresh handle with the restore identity. */
  reader(): Promise<Repository>;
}

export interface MakeRepoOptions {
  chunker?: ChunkerParams;
  packSize?: number;
  compressionLevel?: number;
}

/** A local repository in `dir/repo`, with a cache dir at `dir/cache`. */
export async function makeRepo(dir: string, o: MakeRepoOptions = {}): Promise<TestRepo> {
  const storage = new LocalStorage(join(dir, "repo"));
  const identity = generateIdentity();
  const { agentKey } = await Repository.init(storage, {
    recipients: [identity.recipient],
    chunker: o.chunker,
    packSize: o.packSize,
    compressionLevel: o.compressionLevel,
  });
  return {
    storage,
    agentKey,
    identity,
    cacheDir: join(dir, "cache"),
    writer: () => Repository.open(storage, { agentKey }),
    reader: () => Repository.open(storage, { agentKey, identities: [identity] }),
  };
}

let workersProbe: Promise<boolean> | undefined;

/**
 * Whether the codec worker threads start in this process. Under a TypeScript
 * runner on Node 20 the worker's `--import tsx` does not take effect and every
 * backup with workers fails ("Unknown file extension .ts"); then the tests run
 * with `workers: 0` (inline codec) and say so once, instead of failing on
 * something they do not test.
 */
export function codecWorkersUsable(): Promise<boolean> {
  workersProbe ??= (async () => {
    const codec = new WorkerCodec(1);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error("no answer in 10 s")), 10_000)),
      );
      // seal always goes to a worker (small compress jobs stay on the calling thread).
      await Promise.race([codec.seal([Buffer.alloc(64)], [generateIdentity().recipient], "probe"), timeout]);
      return true;
    } catch (e) {
      console.warn(
        `[cairn tests] codec worker threads do not work here (${(e as Error).message}); backups run with workers: 0`,
      );
      return false;
    } finally {
      clearTimeout(timer);
      await codec.close().catch(() => undefined);
    }
  })();
  return workersProbe;
}

/**
 * Back up `paths` with a freshly opened repository handle. Worker threads as
 * in production when they work here (CAIRN_TEST_WORKERS=<n> forces a count).
 */
export async function backup(r: TestRepo, paths: string[], o: BackupOptions = {}): Promise<BackupResult> {
  const env = process.env.CAIRN_TEST_WORKERS;
  const workers =
    o.workers ?? (env !== undefined && env !== "" ? Number(env) : (await codecWorkersUsable()) ? undefined : 0);
  return backupPaths(await r.writer(), paths, { ...o, workers });
}

/** Restore a snapshot (by root tree) into `target` with the identity. */
export async function restore(
  r: TestRepo,
  tree: BlobId,
  target: string,
  o: RestoreOptions = {},
): Promise<RestoreSummary & { warnings: { path: string; message: string }[] }> {
  const warnings: { path: string; message: string }[] = [];
  const s = await restoreSnapshot(await r.reader(), tree, target, { ...o, onWarning: (w) => warnings.push(w) });
  return { ...s, warnings };
}

/** Keys of the stored objects under a prefix (`data/`, `meta/`, `index/`, `snapshots/`). */
export async function objectKeys(r: TestRepo, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of r.storage.list(prefix)) keys.push(o.key);
  return keys.sort();
}

export interface IndexedBlob {
  type: number;
  id: string;
  pack: string;
  kind: "data" | "meta";
}

/** Every blob listed in the repository's index files (type 0 data, 1 tree, 2 skeleton). */
export async function indexedBlobs(r: TestRepo): Promise<IndexedBlob[]> {
  const out: IndexedBlob[] = [];
  for (const key of await objectKeys(r, "index/")) {
    const body = openIndex(r.agentKey, await r.storage.get(key), key);
    for (const p of body.packs)
      for (const b of p.blobs) out.push({ type: b[0] as number, id: b[1] as string, pack: p.id, kind: p.kind });
  }
  return out;
}

/** The data blob ids referenced by files in a snapshot, via listTree. */
export async function snapshotDataBlobs(r: TestRepo, tree: BlobId): Promise<Set<string>> {
  const reader = await r.reader();
  const ids = new Set<string>();
  for await (const e of listTree(reader, tree)) for (const id of e.node.content ?? []) ids.add(id);
  return ids;
}

/**
 * Metadata of every directory above `path` (`/`, `/tmp`, ...), which the
 * snapshot records in its virtual parent trees. When another process creates
 * something in /tmp between two backups, the second one legitimately stores
 * new tree blobs for those parents (and so a new, tree-only data pack).
 */
export function ancestorStamp(path: string): string {
  const parts = resolve(path).split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = "/" + parts.slice(0, i).join("/");
    const st = lstatSync(p, { bigint: true });
    out.push(`${p}:${st.mode}:${st.uid}:${st.gid}:${st.mtimeNs}`);
  }
  return out.join("\n");
}

/**
 * What a re-run of an unchanged tree may add to data packs: nothing, or (when
 * the ancestors changed meanwhile) only tree blobs, at most one per ancestor.
 * Returns a description of any violation.
 */
export async function newDataPackProblems(
  r: TestRepo,
  packsBefore: string[],
  ancestorsStable: boolean,
  depth: number,
): Promise<string[]> {
  const after = await objectKeys(r, "data/");
  const added = after.filter((k) => !packsBefore.includes(k));
  if (added.length === 0) return [];
  if (ancestorsStable) return [`${added.length} new data pack(s) although nothing changed: ${added.join(", ")}`];
  const ids = new Set(added.map((k) => k.slice(k.lastIndexOf("/") + 1)));
  const blobs = (await indexedBlobs(r)).filter((b) => ids.has(b.pack));
  const problems: string[] = [];
  const nonTree = blobs.filter((b) => b.type !== 1);
  if (nonTree.length > 0)
    problems.push(
      `new data pack holds ${nonTree.length} non-tree blob(s) (types ${[...new Set(nonTree.map((b) => b.type))]})`,
    );
  if (blobs.length > depth)
    problems.push(`new data pack holds ${blobs.length} tree blobs, more than the ${depth} ancestors`);
  return problems;
}

export interface Layout {
  /** Where the tree to back up goes: `<work>/s/src`, alone in `<work>/s` so its ancestors stay untouched. */
  src: string;
  /** Parent of restore targets (`out/<name>`), so restoring never touches the source's ancestors. */
  out: string;
  work: string;
}

export function makeLayout(work: string): Layout {
  mkdirSync(join(work, "s"), { recursive: true });
  mkdirSync(join(work, "out"));
  mkdirSync(join(work, "cache"));
  return { src: join(work, "s", "src"), out: join(work, "out"), work };
}
