import { lstat, readdir } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import type { BlobId } from "../ids.js";
import { pathKey, type CachedFile, type ParentCacheReader } from "../repository/parent-cache.js";
import type { ExcludeMatcher } from "../sources/exclude.js";
import type { SmallFileBatcher } from "./small-file-batcher.js";
import type { SmallFileResult } from "./small-file-job.js";

/**
 * What the walk produces, depth-first with children in raw-byte order (the
 * order of the parent cache): a "dir" is followed by its entries and an "end".
 */
export type WalkEvent =
  | { t: "dir"; abs: Buffer; name: Buffer; st: BigIntStats }
  | { t: "end" }
  | { t: "file"; abs: Buffer; name: Buffer; st: BigIntStats; file: PlannedFile }
  | { t: "other"; abs: Buffer; name: Buffer; st: BigIntStats }
  | { t: "warn"; abs: Buffer; message: string };

/** Decisions about a regular file, taken in walk order (cache lookups must be). */
export interface PlannedFile {
  key: Buffer;
  cached?: CachedFile;
  /** Same size, mtime, ctime and inode as in the parent, and every blob still present: not read. */
  unchanged: boolean;
  /** Small changed files are read, hashed and compressed ahead, in batches. */
  read?: Promise<SmallFileResult>;
}

export interface WalkContext {
  excludes: ExcludeMatcher;
  parentCache?: ParentCacheReader;
  /** Whether the repository (or this backup) already has a blob. */
  has(id: BlobId): boolean;
  batcher: SmallFileBatcher;
  /** Files up to this size are one chunk and read whole by the batcher. */
  smallFileLimit: number;
  signal?: AbortSignal;
}

const SEP = Buffer.from("/");
/** Parallel lstat calls per directory: hides syscall latency on large directories. */
const LSTAT_PARALLEL = 32;

/** Entries of the directory `abs`, then "end". */
export async function* walkDir(c: WalkContext, abs: Buffer, components: Buffer[]): AsyncGenerator<WalkEvent> {
  let names: Buffer[] = [];
  try {
    names = (await readdir(abs, { encoding: "buffer" })).sort(Buffer.compare);
  } catch (e) {
    yield { t: "warn", abs, message: `cannot list directory: ${(e as Error).message}; stored as empty` };
  }
  const paths = names.map((n) => Buffer.concat([abs, abs.length > 1 ? SEP : Buffer.alloc(0), n]));
  const stats = await lstatAll(paths);
  for (let i = 0; i < names.length; i++) {
    if (c.signal?.aborted) return;
    yield* walkEntry(c, paths[i], [...components, names[i]], names[i], stats[i]);
  }
  yield { t: "end" };
}

/** One entry (a directory with everything below it); nothing for an excluded one. */
export async function* walkEntry(c: WalkContext, abs: Buffer, components: Buffer[], name: Buffer, st?: BigIntStats | Error): AsyncGenerator<WalkEvent> {
  st ??= await lstat(abs, { bigint: true }).catch((e: Error) => e);
  if (st instanceof Error) {
    yield { t: "warn", abs, message: `vanished or unreadable: ${st.message}` };
    return;
  }
  if (c.excludes.excluded(abs.toString("utf8"), st.isDirectory())) return;
  if (st.isDirectory()) {
    yield { t: "dir", abs, name, st };
    yield* walkDir(c, abs, components);
  } else if (st.isSocket()) {
    yield { t: "warn", abs, message: "socket skipped (sockets cannot be backed up)" };
  } else if (st.isFile()) {
    yield { t: "file", abs, name, st, file: await planFile(c, abs, components, st) };
  } else {
    yield { t: "other", abs, name, st };
  }
}

async function planFile(c: WalkContext, abs: Buffer, components: Buffer[], st: BigIntStats): Promise<PlannedFile> {
  const key = pathKey(components);
  const cached = await c.parentCache?.lookup(key);
  const unchanged = cached !== undefined && sameVersion(cached, st) && cached.content.every((id) => c.has(id as BlobId));
  const plan: PlannedFile = { key, cached, unchanged };
  if (!unchanged && st.size <= BigInt(c.smallFileLimit)) {
    plan.read = c.batcher.submit(abs, Number(st.size));
    plan.read.catch(() => undefined); // observed by the consumer; not unhandled if the walk stops first
  }
  return plan;
}

/** Unchanged by metadata (the cache may predate a prune: the caller also checks every blob is present). */
function sameVersion(c: CachedFile, st: BigIntStats): boolean {
  return BigInt(c.size) === st.size && c.mtimeNs === st.mtimeNs && c.ctimeNs === st.ctimeNs && BigInt(c.ino) === st.ino;
}

/** Bytes an event holds in memory while it waits for its consumer. */
export function eventWeight(e: WalkEvent): number {
  return e.t === "file" && e.file.read ? Number(e.st.size) : 0;
}

async function lstatAll(paths: Buffer[]): Promise<(BigIntStats | Error)[]> {
  const out: (BigIntStats | Error)[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      out[i] = await lstat(paths[i], { bigint: true }).catch((e: Error) => e);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LSTAT_PARALLEL, paths.length) }, worker));
  return out;
}
