/** Worker-thread entry for FileWriterPool: writes batches of small files with synchronous calls. */
import { parentPort, workerData } from "node:worker_threads";
import { collectAfterRequest } from "../workers/collect-garbage.js";
import { serveRequests } from "../workers/worker-pool.js";
import { writeFileSync, type FileWriteRequest, type FileWriteResult } from "./file-write-job.js";

export interface FileWriterRequest {
  seq: number;
  files: FileWriteRequest[];
}

/** The blob-ID subkey, when the pool verifies blobs here (see FileWriterPool); never leaves the process. */
const idKey = (workerData as { idKey?: Uint8Array } | undefined)?.idKey;

/** Blob bytes written since the last collection. */
let written = 0;
/**
 * The blobs are views of decrypted packs in shared memory: a dead view here
 * keeps a whole 16 MiB pack alive until this thread collects, and its heap
 * is too small to collect on its own for a long time.
 */
const COLLECT_EVERY = 32 * 1024 * 1024;

serveRequests<FileWriterRequest, FileWriteResult[]>(parentPort, (req) => {
  const result = req.files.map((f) => writeFileSync(f, idKey));
  written += req.files.reduce((n, f) => n + f.size, 0);
  if (written >= COLLECT_EVERY) {
    written = 0;
    setImmediate(collectAfterRequest); // after the reply, which no longer needs the request
  }
  return { result };
});
