import { createHash } from "node:crypto";
import { AbortedError, StorageError } from "../core/errors.js";
import type { ObjectInfo, Storage } from "./storage.js";
import { TaskPool } from "../core/task-pool.js";

export interface SyncOptions {
  /**
   * Copy phase of a key, lowest first (a phase starts only when the one before
   * has finished). Lets the caller keep the repository's write order, so an
   * interrupted sync never leaves a snapshot whose packs are missing.
   */
  phase?: (key: string) => number;
  /** The SHA-256 (hex) a key's bytes must have, when its name says (content-named objects). */
  expectedSha256?: (key: string) => string | undefined;
  /** Copies in flight at once. */
  concurrency?: number;
  signal?: AbortSignal;
  onCopied?: (info: ObjectInfo) => void;
}

export interface SyncProblem {
  key: string;
  message: string;
}

export interface SyncReport {
  copied: number;
  skipped: number;
  bytesCopied: number;
  /** Source objects that were damaged (hash differs from their name); not copied. */
  problems: SyncProblem[];
}

/**
 * Copies every object of `from` that `to` lacks, byte for byte: objects are
 * immutable and content-named, so no key is needed and an object already in
 * the target with the same size is skipped. Each copy is streamed (bounded
 * memory), then read back from the target and its SHA-256 compared with the
 * bytes read from the source (and with the name, where `expectedSha256` says).
 * Safe to interrupt and re-run: puts are atomic, so the re-run sees only
 * whole objects and copies the rest. Nothing is deleted from the target.
 *
 * @example
 * const report = await syncStorage(await openStorage("s3://bucket/app1"), await openStorage("azure://dr-copy/app1"));
 */
export async function syncStorage(from: Storage, to: Storage, opts: SyncOptions = {}): Promise<SyncReport> {
  const report: SyncReport = { copied: 0, skipped: 0, bytesCopied: 0, problems: [] };
  const present = new Map<string, number>();
  for await (const o of to.list("", opts.signal)) present.set(o.key, o.size);
  const todo: ObjectInfo[] = [];
  for await (const o of from.list("", opts.signal)) {
    if (present.get(o.key) === o.size) report.skipped++;
    else todo.push(o);
  }
  for (const batch of phases(todo, opts.phase)) {
    const pool = new TaskPool(opts.concurrency ?? 4);
    for (const info of batch) {
      if (opts.signal?.aborted) throw new AbortedError("sync aborted");
      await pool.add(() => copyOne(from, to, info, report, opts));
    }
    await pool.drain();
  }
  return report;
}

function phases(objects: ObjectInfo[], phase: ((key: string) => number) | undefined): ObjectInfo[][] {
  const byPhase = new Map<number, ObjectInfo[]>();
  for (const o of objects) {
    const p = phase ? phase(o.key) : 0;
    byPhase.set(p, [...(byPhase.get(p) ?? []), o]);
  }
  return [...byPhase.entries()].sort((a, b) => a[0] - b[0]).map(([, batch]) => batch);
}

async function copyOne(
  from: Storage,
  to: Storage,
  info: ObjectInfo,
  report: SyncReport,
  opts: SyncOptions,
): Promise<void> {
  const { key } = info;
  let sourceHash = "";
  let size = 0;
  // A stream factory: a retried put re-reads the source, and the hash is of the attempt that landed.
  const body = async function* () {
    const h = createHash("sha256");
    size = 0;
    for await (const chunk of await from.getStream(key, opts.signal)) {
      h.update(chunk);
      size += chunk.length;
      yield chunk;
    }
    sourceHash = h.digest("hex");
  };
  await to.put(key, body, { size: info.size, signal: opts.signal });
  const expected = opts.expectedSha256?.(key);
  if (expected !== undefined && expected !== sourceHash) {
    await to.delete(key); // never leave a damaged copy for the next run to skip
    report.problems.push({
      key,
      message: `source object is damaged: its SHA-256 is ${sourceHash}, its name says ${expected}`,
    });
    return;
  }
  const copyHash = await sha256Of(to, key, opts.signal);
  if (copyHash !== sourceHash) {
    await to.delete(key);
    throw new StorageError(to.name, key, `copy does not match the source (SHA-256 ${copyHash}, source ${sourceHash})`, {
      retryable: false,
      hint: "the target stored different bytes than were sent; check the store (for S3-compatible stores try --s3-checksum md5) and re-run sync",
    });
  }
  report.copied++;
  report.bytesCopied += size;
  opts.onCopied?.({ ...info, size });
}

async function sha256Of(s: Storage, key: string, signal?: AbortSignal): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of await s.getStream(key, signal)) h.update(chunk);
  return h.digest("hex");
}
