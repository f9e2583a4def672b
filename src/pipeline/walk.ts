import { lstatSync, readdirSync } from "node:fs";
import { readdir } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import type { BlobId } from "../core/ids.js";
import { pathKey, type CachedFile, type ParentCacheReader } from "./parent-cache/parent-cache.js";
import type { ExcludeMatcher } from "../fs/exclude.js";
import { nodeTypeOf } from "./fs-node.js";
import type { SmallFileBatcher } from "./small-file-batcher.js";
import type { SmallFileResult } from "./small-file-job.js";
import type { LargeFileBatch } from "./large-file-job.js";

/** The batches of one large file being chunked on a worker. */
export type LargeFileChunks = AsyncGenerator<LargeFileBatch & { ok: true }>;

/** Raw bytes a large file started ahead holds at most (two batches: see WorkerCodec). */
const LARGE_AHEAD_WEIGHT = 16 * 1024 * 1024;

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
  /** Large changed files are chunked ahead on a worker, a batch at a time. */
  large?: LargeFileChunks;
}

export interface WalkContext {
  excludes: ExcludeMatcher;
  parentCache?: ParentCacheReader;
  /** Whether the repository (or this backup) already has a blob. */
  has(id: BlobId): boolean;
  batcher: SmallFileBatcher;
  /** Files up to this size are one chunk and read whole by the batcher. */
  smallFileLimit: number;
  /** Starts chunking a larger file on a worker (absent with --workers 0: the tree builder reads it). */
  startLargeFile?(abs: Buffer): LargeFileChunks;
  signal?: AbortSignal;
}

/** Where the walk sends its events: a push returns a promise only when the consumer is far behind. */
export interface WalkOutput {
  push(e: WalkEvent): Promise<void> | undefined;
  /** The consumer gave up (error or abort): stop walking. */
  readonly stopped: boolean;
}

const SEP = Buffer.from("/");
const NO_SEP = Buffer.alloc(0);
/** Longest stretch of synchronous listing before the walk lets uploads and worker replies run. */
const YIELD_EVERY_MS = 10;
let lastYield = performance.now();

/**
 * Entries of the directory `abs` (whose lstat is `st`, when known), then
 * "end". lstat is synchronous: on a warm cache a synchronous lstat costs a
 * fraction of a promise round trip through libuv's thread pool, and a
 * no-change backup is little else (docs/PERFORMANCE.md §Where the time goes). The walk yields to the event loop every
 * few milliseconds so uploads and worker replies are not held up by a large
 * tree.
 */
export async function walkDir(
  c: WalkContext,
  abs: Buffer,
  components: Buffer[],
  out: WalkOutput,
  st?: BigIntStats,
): Promise<void> {
  let names: Buffer[] = [];
  try {
    names = (
      listingWritesNothing(st, Date.now())
        ? readdirSync(abs, { encoding: "buffer" })
        : await readdir(abs, { encoding: "buffer" })
    ).sort(Buffer.compare);
  } catch (e) {
    await out.push({ t: "warn", abs, message: `cannot list directory: ${(e as Error).message}; stored as empty` });
  }
  const sep = abs.length > 1 ? SEP : NO_SEP;
  for (const name of names) {
    if (c.signal?.aborted || out.stopped) return;
    const path = Buffer.concat([abs, sep, name]);
    await walkEntry(c, path, [...components, name], name, out, lstatOrError(path));
  }
  await out.push({ t: "end" });
  if (performance.now() - lastYield > YIELD_EVERY_MS) {
    await new Promise<void>((r) => setImmediate(r));
    lastYield = performance.now();
  }
}

/** One entry (a directory with everything below it); nothing for an excluded one. */
export async function walkEntry(
  c: WalkContext,
  abs: Buffer,
  components: Buffer[],
  name: Buffer,
  out: WalkOutput,
  st: BigIntStats | Error = lstatOrError(abs),
): Promise<void> {
  if (st instanceof Error) return out.push({ t: "warn", abs, message: `vanished or unreadable: ${st.message}` });
  const type = nodeTypeOf(st);
  if (c.excludes.active && c.excludes.excluded(abs.toString("utf8"), type === "dir")) return;
  if (type === "dir") {
    await out.push({ t: "dir", abs, name, st });
    return walkDir(c, abs, components, out, st);
  }
  if (type === "socket") return out.push({ t: "warn", abs, message: "socket skipped (sockets cannot be backed up)" });
  if (type === "file") return out.push({ t: "file", abs, name, st, file: await planFile(c, abs, components, st) });
  return out.push({ t: "other", abs, name, st });
}

/** A day, as relatime counts it, less an hour for clock steps between the lstat and the listing. */
const ATIME_REFRESH_NS = 23n * 3600n * 1_000_000_000n;

/**
 * Whether listing a directory leaves its atime alone, so a synchronous
 * readdir cannot block: on a `relatime` mount (Linux's default) a listing
 * writes the atime only when it is not newer than both mtime and ctime, or
 * is a day old. That write can wait behind the journal commit of the pack
 * writes' fsyncs: listing asynchronously then cost no more than a wait, while
 * a synchronous listing blocked the whole process (seconds, on a first
 * backup of fresh directories). Otherwise synchronous is much cheaper: each
 * asynchronous listing costs an event-loop turn and a thread-pool round trip
 * per directory, a real part of a backup after a day of changes
 * (docs/PERFORMANCE.md §Figures behind choices in the code). On a
 * `strictatime` mount every listing writes the atime and this guess is wrong:
 * it only costs speed there.
 */
export function listingWritesNothing(st: BigIntStats | undefined, nowMs: number): boolean {
  if (!st) return false;
  return (
    st.atimeNs > st.mtimeNs && st.atimeNs > st.ctimeNs && BigInt(nowMs) * 1_000_000n - st.atimeNs < ATIME_REFRESH_NS
  );
}

function lstatOrError(abs: Buffer): BigIntStats | Error {
  try {
    return lstatSync(abs, { bigint: true });
  } catch (e) {
    return e as Error;
  }
}

async function planFile(c: WalkContext, abs: Buffer, components: Buffer[], st: BigIntStats): Promise<PlannedFile> {
  const key = pathKey(components);
  const cached = await c.parentCache?.lookup(key);
  const unchanged = cached !== undefined && sameVersion(cached, st) && cached.content.every((id) => c.has(id));
  const plan: PlannedFile = { key, cached, unchanged };
  if (!unchanged && st.size <= BigInt(c.smallFileLimit)) {
    plan.read = c.batcher.submit(abs, Number(st.size));
    plan.read.catch(() => undefined); // observed by the consumer; not unhandled if the walk stops first
  } else if (!unchanged && c.startLargeFile) {
    plan.large = c.startLargeFile(abs);
  }
  return plan;
}

/** Unchanged by metadata (the cache may predate a prune: the caller also checks every blob is present). */
function sameVersion(c: CachedFile, st: BigIntStats): boolean {
  return BigInt(c.size) === st.size && c.mtimeNs === st.mtimeNs && c.ctimeNs === st.ctimeNs && BigInt(c.ino) === st.ino;
}

/** Bytes an event holds in memory while it waits for its consumer. */
export function eventWeight(e: WalkEvent): number {
  if (e.t !== "file") return 0;
  if (e.file.read) return Number(e.st.size);
  return e.file.large ? Math.min(Number(e.st.size), LARGE_AHEAD_WEIGHT) : 0;
}
