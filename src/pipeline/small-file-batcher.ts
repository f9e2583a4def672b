import type { ReadAhead } from "./read-ahead.js";
import { readSmallFiles, type SmallFileRequest, type SmallFileResult } from "./small-file-job.js";

/** Where batches of small files are read, hashed and compressed: worker threads or inline. */
export interface SmallFileCodec {
  readSmallFiles(reqs: SmallFileRequest[], level: number): Promise<SmallFileResult[]>;
}

interface Waiting {
  resolve(r: SmallFileResult): void;
  reject(e: unknown): void;
}

/** Files per message; several batches are in flight so every worker stays busy. */
const MAX_FILES = 32;
/** Raw bytes per message: keeps one message's results small next to a pack. */
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * Gathers small-file reads into batches, one message each. A batch goes out
 * when full, or on the next turn of the event loop, so a reader waiting for
 * its file never waits for a batch to fill.
 */
export class SmallFileBatcher {
  private reqs: SmallFileRequest[] = [];
  private waiting: Waiting[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly codec: SmallFileCodec,
    private readonly level: number,
    /** Warms the page cache for each batch while the codec reads the ones before it. */
    private readonly readAhead?: ReadAhead,
  ) {}

  submit(path: Buffer, size: number): Promise<SmallFileResult> {
    return new Promise((resolve, reject) => {
      this.reqs.push({ path, size });
      this.waiting.push({ resolve, reject });
      this.bytes += size;
      if (this.reqs.length >= MAX_FILES || this.bytes >= MAX_BYTES) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.reqs.length === 0) return;
    const reqs = this.reqs;
    const waiting = this.waiting;
    this.reqs = [];
    this.waiting = [];
    this.bytes = 0;
    this.readAhead?.hint(reqs);
    this.codec.readSmallFiles(reqs, this.level).then(
      (results) => results.forEach((r, i) => waiting[i].resolve(r)),
      (e: unknown) => waiting.forEach((w) => w.reject(e)),
    );
  }
}

/** Reads batches on the calling thread (`--workers 0`, tests). */
export function inlineSmallFileCodec(blobIdKey: Uint8Array): SmallFileCodec {
  return { readSmallFiles: async (reqs, level) => readSmallFiles(reqs, level, blobIdKey) };
}
