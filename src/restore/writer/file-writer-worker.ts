/** Worker-thread entry for FileWriterPool: writes batches of small files, and blobs of large ones, with synchronous calls. */
import { parentPort, workerData } from "node:worker_threads";
import { serveRequests } from "../../workers/worker-pool.js";
import { ScratchBuffer } from "../../core/scratch-buffer.js";
import {
  writeBlobSync,
  writeFileSync,
  type BlobWriteRequest,
  type FileWriteRequest,
  type FileWriteResult,
} from "./file-write-job.js";

export type FileWriterRequest = { seq: number; files: FileWriteRequest[] } | { seq: number; blob: BlobWriteRequest };

/** The blob-ID subkey, when the pool verifies blobs here (see FileWriterPool); never leaves the process. */
const idKey = (workerData as { idKey?: Uint8Array } | undefined)?.idKey;
/** Large files' blobs are decompressed into this, one after the other. */
const scratch = new ScratchBuffer();

serveRequests<FileWriterRequest, FileWriteResult[] | number>(parentPort, (req) => ({
  result: "blob" in req ? writeBlobSync(req.blob, idKey, scratch) : req.files.map((f) => writeFileSync(f, idKey)),
}));
