import type { BlobId } from "../core/ids.js";
import { checkAborted } from "./shared/check-aborted.js";
import type { Entry } from "./shared/entry.js";
import type { FileRestorer } from "./file-restorer.js";
import type { RestoreJobs } from "./restore-jobs.js";
import type { RestoreOutcome } from "./restore-outcome.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";

/**
 * Plain files are restored a window at a time, in the order their data is
 * stored rather than the walk's: a backup packs files in walk order, but a
 * later snapshot's changed files sit in newer packs, spread over the whole
 * tree, and large files span several packs. In walk order those packs were
 * loaded whole again and again as the cache turned over (60-70 whole-pack
 * loads for the bench set's 36 data packs; about 36 this way). The window
 * bounds what is held: its entries (tree nodes, paths), not data. Readers
 * that cannot say where blobs lie (SnapshotReader.storedAt) get walk order.
 */
export const WINDOW_FILES = 4096;
/** ...and their blob ids: a few huge files also close a window. */
export const WINDOW_BLOBS = 32_768;

/** What the window hands its files to (file-restorer.ts). */
type Files = Pick<FileRestorer, "restore" | "split">;

/**
 * Plain files found by the walk, their names already checked, queued and
 * restored a window at a time. A full window is handed to the jobs while the
 * walk goes on filling the next one (trees decoded, directories created), one
 * window ahead at most.
 */
export class RestoreWindow {
  private files: Entry[] = [];
  private blobs = 0;
  /** Hands the previous window to the jobs; awaited before the next one is handed over. */
  private scheduling?: Promise<void>;

  constructor(
    private readonly reader: SnapshotReader,
    private readonly restorer: Files,
    private readonly jobs: Pick<RestoreJobs, "schedule">,
    private readonly outcome: Pick<RestoreOutcome, "guard">,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async queue(e: Entry): Promise<void> {
    this.files.push(e);
    this.blobs += e.node.content?.length ?? 0;
    if (this.files.length < WINDOW_FILES && this.blobs < WINDOW_BLOBS) return;
    await this.scheduling;
    this.start();
  }

  /** Schedule whatever is queued; returns once every queued file has a job (RestoreJobs.drain waits for them). */
  async flush(): Promise<void> {
    await this.scheduling;
    this.start();
    await this.scheduling;
  }

  /** After an abort a window may still be handing out jobs: resolves once it has stopped (at its next file); never throws. */
  async stopped(): Promise<void> {
    await this.scheduling?.catch(() => undefined);
  }

  private start(): void {
    const scheduling = this.schedule(this.files);
    scheduling.catch(() => undefined); // awaited by the next queue, flush or stopped
    this.files = [];
    this.blobs = 0;
    this.scheduling = scheduling;
  }

  private async schedule(files: Entry[]): Promise<void> {
    const reader = this.reader;
    const jobs =
      reader.storedAt && reader.expectReads
        ? inStoredOrder(this.restorer, reader, files)
        : files.map((e) => ({ e, rank: 0, run: () => this.restorer.restore(e) }));
    reader.expectReads?.(blobsOf(files));
    // Running jobs by pack rank: a job waits while one more than a pack behind it still runs (see PACK_LEAD).
    const running = new Map<object, number>();
    let jobEnded: (() => void) | undefined;
    const next = firstBlobByRank(jobs);
    let started = -1;
    for (const job of jobs) {
      while (lowest(running) < job.rank - PACK_LEAD) await new Promise<void>((resolve) => (jobEnded = resolve));
      if (job.rank > started) {
        // Entering a pack: have the following one fetched and decrypted while this one is written.
        started = job.rank;
        const id = next.get(started + 1);
        if (id !== undefined) reader.prefetch?.(id);
      }
      checkAborted(this.signal);
      const token = {};
      running.set(token, job.rank);
      await this.jobs.schedule(() =>
        this.outcome.guard(job.e.display, job.run).finally(() => {
          running.delete(token);
          jobEnded?.();
        }),
      );
    }
  }
}

/**
 * How many packs ahead of the lowest one still being written a job may
 * start. Small files start at once while large ones (and parts) first open
 * their file and then write blob by blob; unchecked, the 64 jobs in flight
 * ran several packs ahead of a large file's part and the pack cache evicted
 * the pack that part was still reading.
 */
const PACK_LEAD = 1;

/** The first blob each rank's first job reads (what to prefetch for that pack). */
function firstBlobByRank(jobs: Job[]): Map<number, BlobId> {
  const first = new Map<number, BlobId>();
  for (const j of jobs) if (j.firstBlob !== undefined && !first.has(j.rank)) first.set(j.rank, j.firstBlob);
  return first;
}

function lowest(running: Map<object, number>): number {
  let min = Infinity;
  for (const r of running.values()) if (r < min) min = r;
  return min;
}

function* blobsOf(files: Entry[]): Iterable<BlobId> {
  for (const e of files) yield* e.node.content ?? [];
}

interface Job {
  e: Entry;
  /** Rank of the pack the job reads first (restore order); -1 for files without stored blobs. */
  rank: number;
  /** The blob it reads first in that pack. */
  firstBlob?: BlobId;
  run(): Promise<void>;
}

/**
 * The window's files as jobs sorted by where their data lies: packs ranked
 * by the first time the walk order reads from them, then by offset. A file
 * whose blobs lie in several packs becomes one job per run of blobs in one
 * pack (SplitFile), each sorted with its pack, so a pack is read while it is
 * the current one and not again for a file spanning it and others. Empty
 * files and files with unknown blobs come first (the latter fail on their own).
 */
function inStoredOrder(restorer: Files, reader: SnapshotReader, files: Entry[]): Job[] {
  const rank = new Map<number, number>();
  const keyed: { key: number; seq: number; job: Job }[] = [];
  const add = (e: Entry, first: Placement | undefined, firstBlob: BlobId | undefined, run: () => Promise<void>) => {
    const r = first === undefined ? -1 : rank.get(first.pack)!;
    // The index holds offsets below 2^32 (blob-index.ts): rank and offset in one exact double.
    keyed.push({
      key: first === undefined ? -1 : r * 2 ** 32 + first.offset,
      seq: keyed.length,
      job: { e, rank: r, firstBlob, run },
    });
  };
  for (const e of files) {
    const content = e.node.content ?? [];
    const at = content.map((id) => reader.storedAt!(id));
    let known = true;
    let total = 0;
    for (const a of at) {
      if (a === undefined) {
        known = false;
        continue;
      }
      if (!rank.has(a.pack)) rank.set(a.pack, rank.size);
      total += a.rawLength;
    }
    // A file whose blobs do not add up to its size is restored whole, to fail with restoreFile's error.
    const parts = known && total === (e.node.size ?? 0) ? runsByPack(at as Placement[]) : [];
    if (parts.length <= 1) {
      const i = at.findIndex((a) => a !== undefined);
      add(e, at[i], content[i], () => restorer.restore(e));
      continue;
    }
    const split = restorer.split(e, parts.length);
    for (const p of parts) {
      const blobs = content.slice(p.from, p.to);
      add(e, at[p.from], blobs[0], () => split.writePart(blobs, p.position, p.length));
    }
  }
  keyed.sort((a, b) => a.key - b.key || a.seq - b.seq);
  return keyed.map((k) => k.job);
}

type Placement = NonNullable<ReturnType<NonNullable<SnapshotReader["storedAt"]>>>;

/** Runs of consecutive blobs in the same pack: [from, to) with the file offset and length they cover. */
function runsByPack(at: Placement[]): { from: number; to: number; position: number; length: number }[] {
  const runs: { from: number; to: number; position: number; length: number }[] = [];
  let position = 0;
  at.forEach((a, i) => {
    const last = runs.at(-1);
    if (last !== undefined && at[last.from]!.pack === a.pack) {
      last.to = i + 1;
      last.length += a.rawLength;
    } else {
      runs.push({ from: i, to: i + 1, position, length: a.rawLength });
    }
    position += a.rawLength;
  });
  return runs;
}
