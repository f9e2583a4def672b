import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { CairnError } from "../../core/errors.js";
import { isHexId } from "../../core/ids.js";
import { makeDirs, writeProblem } from "../../fs/writable-dir.js";
import {
  END_LENGTH,
  FRAME_OVERHEAD,
  MAX_BODY,
  MAX_CONTENT,
  MAX_HEADER,
  MAX_KEY,
  FIXED_BODY,
  checkFile,
  checkedKey,
  compareKeys,
  decodeFile,
  encodeContent,
  encodeEnd,
  encodeHeader,
  encodeRecord,
  frameLength,
  isValidEnd,
  parseHeader,
  type CachedFile,
} from "./parent-cache-format.js";
import { SequentialInput } from "./parent-cache-input.js";

/**
 * The parent cache: per repository, the file metadata of the last backup
 * (path -> size, times, inode, content ids), so an incremental backup can skip
 * re-reading unchanged files without reading any old tree.
 *
 * The walk visits files depth-first with children sorted by raw name bytes,
 * which is exactly the byte order of pathKey. So the cache is one file of
 * records sorted by key, written as a stream and read with a merge-join
 * against the walk: memory stays bounded whatever the number of files.
 * The format is in parent-cache-format.ts.
 *
 * Safety (docs/RELIABILITY.md):
 * - invariant 7: each file carries the repository's prune generation; a reader
 *   opened with another generation gets nothing, since prune may have deleted
 *   the blobs the records name.
 * - invariant 9: a cache becomes visible as files-<snapshotId> only after temp
 *   file, fsync, rename, fsync of the directory; pruneOldCaches removes orphans.
 * - The cache only ever saves work. Missing, foreign, truncated or damaged
 *   files make the reader answer "not cached", never throw.
 * Records hold plaintext file names, so files are created 0600 in a 0700 directory.
 */
export type { CachedFile } from "./parent-cache-format.js";

const PUBLISHED = /^files-[0-9a-f]{64}$/;
const TEMP_PREFIX = "tmp-files-";
/** Records are gathered into this much memory before a write. */
const WRITE_BUFFER = 1 << 20;
/**
 * A temp file older than this is an orphan. A live writer can go a long time
 * without flushing (for example while one huge file is chunked), so this is
 * far longer than any backup should take.
 */
const DEFAULT_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const SEPARATOR = Buffer.from([0]);

/** The cache key of a path: its components joined by 0x00, which sorts below every name byte. */
export function pathKey(components: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const c of components) {
    if (c.includes(0)) throw new TypeError("a path component cannot contain a NUL byte");
    if (parts.length > 0) parts.push(SEPARATOR);
    parts.push(c);
  }
  return Buffer.concat(parts);
}

export interface ParentCacheOptions {
  /** The repository's prune generation (docs/RELIABILITY.md invariant 7). */
  generation: string;
}

/** The error for a failed cache write: names the file and the real cause; the backup may carry on without a cache. */
function cacheWriteError(path: string, dir: string, err: unknown): CairnError {
  const problem = writeProblem((err as NodeJS.ErrnoException)?.path ?? path, dir, err);
  return new CairnError("E_CACHE", `parent cache ${problem.path}: ${problem.cause}`, 1, {
    cause: err,
    hint: `the parent cache only speeds up the next backup; ${problem.hint}`,
  });
}

async function writeAll(fh: FileHandle, b: Buffer): Promise<void> {
  for (let off = 0; off < b.length;) off += (await fh.write(b, off, b.length - off)).bytesWritten;
}

async function syncDirectory(dir: string): Promise<void> {
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Streams one backup's file records into a temp file and publishes it on commit.
 *
 * @example
 * const w = await ParentCacheWriter.create(cacheDir, "host1-data", { generation: "7" });
 * await w.add(pathKey([Buffer.from("etc"), Buffer.from("hosts")]), file);
 * await w.commit(snapshotId); // now <cacheDir>/files-<snapshotId>
 */
export class ParentCacheWriter {
  private pending = Buffer.allocUnsafe(WRITE_BUFFER);
  private used = 0;
  /** Writes run one after another on this chain; a failed write makes every later await fail. */
  private writes: Promise<void> = Promise.resolve();
  private lastKey: Buffer | undefined;
  private records = 0;
  private state: "open" | "committed" | "aborted" = "open";
  private skippedRecords = 0;

  private constructor(
    private readonly fh: FileHandle,
    private readonly dir: string,
    readonly tempPath: string,
  ) {}

  /** `snapshotTag` labels the temp file and the header, for people inspecting the directory. */
  static async create(dir: string, snapshotTag: string, options: ParentCacheOptions): Promise<ParentCacheWriter> {
    const header = encodeHeader({ generation: options.generation, tag: snapshotTag });
    const safeTag = snapshotTag.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64);
    const tempPath = join(dir, `${TEMP_PREFIX}${safeTag}-${process.pid}-${randomBytes(6).toString("hex")}`);
    let fh: FileHandle;
    try {
      await makeDirs(dir);
      fh = await open(tempPath, "wx", 0o600);
    } catch (err) {
      throw cacheWriteError(tempPath, dir, err);
    }
    const w = new ParentCacheWriter(fh, dir, tempPath);
    w.pending.set(header);
    w.used = header.length;
    return w;
  }

  /** Records left out because they exceed the format's bounds (those files are simply re-read next time). */
  get skipped(): number {
    return this.skippedRecords;
  }

  /** Keys must be strictly increasing (Buffer.compare); resolves once the record is buffered. */
  async add(key: Buffer, rec: CachedFile): Promise<void> {
    this.checkOpen();
    checkFile(rec);
    const content = encodeContent(rec.content);
    if (this.lastKey !== undefined && compareKeys(key, this.lastKey) <= 0) {
      throw new RangeError(
        `parent cache keys must be strictly increasing: ${key.toString("hex")} after ${this.lastKey.toString("hex")}`,
      );
    }
    this.lastKey = Buffer.from(key); // a copy: callers may reuse their buffer
    if (key.length > MAX_KEY || content.length > MAX_CONTENT * 32) {
      this.skippedRecords++;
      return;
    }
    // Encode before awaiting anything, so records from overlapping calls keep their order.
    const wait = this.append(frameLength(key.length, content.length), (b, at) =>
      encodeRecord(b, at, key, rec, content),
    );
    this.records++;
    if (wait) await wait;
  }

  /** Publishes the cache as <dir>/files-<snapshotId>, atomically and durably. */
  async commit(snapshotId: string): Promise<void> {
    this.checkOpen();
    if (!isHexId(snapshotId)) throw new TypeError(`not a snapshot id: ${JSON.stringify(snapshotId)}`);
    const end = encodeEnd(this.records);
    this.append(end.length, (b, at) => at + end.copy(b, at));
    this.state = "committed";
    const finalPath = join(this.dir, `files-${snapshotId}`);
    try {
      await this.flush();
      await this.fh.sync();
      await this.fh.close();
      await rename(this.tempPath, finalPath);
      await syncDirectory(this.dir);
    } catch (err) {
      await this.discard();
      throw err instanceof CairnError ? err : cacheWriteError(this.tempPath, this.dir, err);
    }
  }

  /** Drops the temp file; the previous cache, if any, stays in place. */
  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    await this.discard();
  }

  private checkOpen(): void {
    if (this.state !== "open") throw new Error(`parent cache writer already ${this.state}`);
  }

  /**
   * Encodes `length` bytes with `encode` into the buffer (or a buffer of its
   * own when larger than the buffer); returns the pending write to await, if
   * this call started one.
   */
  private append(length: number, encode: (b: Buffer, at: number) => number): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    if (this.used + length > this.pending.length) wait = this.flush();
    if (length > this.pending.length) {
      const own = Buffer.allocUnsafe(length);
      encode(own, 0);
      return this.enqueue(own);
    }
    this.used = encode(this.pending, this.used);
    return wait;
  }

  /** Starts writing the buffered bytes and gives the writer a fresh buffer. */
  private flush(): Promise<void> {
    if (this.used === 0) return this.writes;
    const full = this.pending.subarray(0, this.used);
    this.pending = Buffer.allocUnsafe(WRITE_BUFFER);
    this.used = 0;
    return this.enqueue(full);
  }

  private enqueue(b: Buffer): Promise<void> {
    this.writes = this.writes.then(() =>
      writeAll(this.fh, b).catch((err: unknown) => {
        throw cacheWriteError(this.tempPath, this.dir, err);
      }),
    );
    return this.writes;
  }

  private async discard(): Promise<void> {
    await this.writes.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}

type ReaderState = "reading" | "ended" | "damaged" | "closed";

/**
 * Reads a published cache by merge-join: `lookup` is called with keys in
 * increasing order, and the reader skips records below each key. Never throws
 * for anything found in the file: damage ends the cache (`damaged` becomes
 * true) and every later lookup misses, so those files are simply re-read.
 */
export class ParentCacheReader {
  private state: ReaderState = "reading";
  /** The next unconsumed record (framed); it aliases the input buffer, so no fill while it is held. */
  private current: { key: Buffer; frame: Buffer } | undefined;
  private lastRecordKey: Buffer | undefined;
  private lastQuery: Buffer | undefined;
  private records = 0;

  private constructor(
    private readonly fh: FileHandle,
    private readonly input: SequentialInput,
    readonly tag: string,
  ) {}

  /**
   * The cache for `snapshotId`, or undefined when it is missing, unreadable,
   * not ours, or written under another prune generation than `expectedGeneration`.
   */
  static async open(
    dir: string,
    snapshotId: string,
    expectedGeneration: string,
  ): Promise<ParentCacheReader | undefined> {
    if (!isHexId(snapshotId)) return undefined;
    let fh: FileHandle;
    try {
      fh = await open(join(dir, `files-${snapshotId}`), "r");
    } catch {
      return undefined;
    }
    try {
      const input = new SequentialInput(fh);
      const header = await readHeader(input);
      if (header?.generation === expectedGeneration) return new ParentCacheReader(fh, input, header.tag);
    } catch {
      // fall through: an unreadable header is a missing cache
    }
    await fh.close().catch(() => undefined);
    return undefined;
  }

  /** True once the reader met a damaged or truncated record and stopped using the cache. */
  get damaged(): boolean {
    return this.state === "damaged";
  }

  /**
   * The cached metadata of `key`, or undefined. Keys must not decrease between
   * calls (that is a bug in the caller, so it throws); a key asked twice misses
   * the second time, as its record was consumed.
   */
  async lookup(key: Buffer): Promise<CachedFile | undefined> {
    if (this.lastQuery !== undefined && compareKeys(key, this.lastQuery) < 0) {
      throw new RangeError(
        `parent cache lookups must be in increasing key order: ${key.toString("hex")} after ${this.lastQuery.toString("hex")}`,
      );
    }
    this.lastQuery = Buffer.from(key);
    try {
      return await this.seek(key);
    } catch {
      this.state = "damaged"; // an I/O error mid-file: stop using the cache
      return undefined;
    }
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.current = undefined;
    await this.fh.close().catch(() => undefined);
  }

  private async seek(key: Buffer): Promise<CachedFile | undefined> {
    while (this.state === "reading") {
      this.current ??= await this.next();
      if (this.current === undefined) return undefined;
      const c = compareKeys(this.current.key, key);
      if (c > 0) return undefined;
      const { frame } = this.current;
      this.current = undefined;
      if (c === 0) return decodeFile(frame, key.length);
    }
    return undefined;
  }

  /** Reads the next record; at the end or on damage sets the state and returns undefined. */
  private async next(): Promise<{ key: Buffer; frame: Buffer } | undefined> {
    if (!(await this.input.fill(4))) return this.stop("damaged"); // no end record: truncated
    const bodyLength = this.input.peek().readUInt32LE(0);
    if (bodyLength === 0) return this.readEnd();
    if (bodyLength < FIXED_BODY || bodyLength > MAX_BODY) return this.stop("damaged");
    if (!(await this.input.fill(bodyLength + FRAME_OVERHEAD))) return this.stop("damaged");
    const frame = this.input.take(bodyLength + FRAME_OVERHEAD);
    const key = checkedKey(frame);
    if (key === undefined) return this.stop("damaged");
    if (this.lastRecordKey !== undefined && compareKeys(key, this.lastRecordKey) <= 0) return this.stop("damaged");
    this.lastRecordKey = Buffer.from(key); // a copy: the input buffer moves on the next fill
    this.records++;
    return { key, frame };
  }

  private async readEnd(): Promise<undefined> {
    const whole = await this.input.fill(END_LENGTH);
    const intact = whole && isValidEnd(this.input.take(END_LENGTH), this.records);
    // Bytes after the end record mean the file is not what the writer produced.
    const trailing = intact && (await this.input.fill(1));
    return this.stop(intact && !trailing ? "ended" : "damaged");
  }

  private stop(state: "ended" | "damaged"): undefined {
    this.state = state;
    return undefined;
  }
}

async function readHeader(input: SequentialInput): Promise<{ generation: string; tag: string } | undefined> {
  await input.fill(MAX_HEADER);
  const newline = input.peek().indexOf(0x0a);
  if (newline < 0 || newline >= MAX_HEADER) return undefined;
  const header = parseHeader(input.peek().subarray(0, newline));
  input.take(newline + 1);
  return header;
}

export interface PruneCachesOptions {
  /** Temp files older than this are orphans of crashed writers (default 24 hours). */
  tempMaxAgeMs?: number;
  now?: number;
}

/**
 * Removes every published cache not in `keepSnapshotIds` and orphaned temp
 * files; returns the names removed. Other files in `dir` are left alone.
 */
export async function pruneOldCaches(
  dir: string,
  keepSnapshotIds: string[],
  options: PruneCachesOptions = {},
): Promise<string[]> {
  const keep = new Set(keepSnapshotIds.map((id) => `files-${id}`));
  const maxAge = options.tempMaxAgeMs ?? DEFAULT_TEMP_MAX_AGE_MS;
  const now = options.now ?? Date.now();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (await isDisposable(dir, name, keep, now - maxAge)) {
      await rm(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}

async function isDisposable(dir: string, name: string, keep: Set<string>, tempCutoff: number): Promise<boolean> {
  if (PUBLISHED.test(name)) return !keep.has(name);
  if (!name.startsWith(TEMP_PREFIX)) return false;
  try {
    return (await stat(join(dir, name))).mtimeMs <= tempCutoff;
  } catch {
    return false; // vanished meanwhile (its writer committed or aborted)
  }
}
