/** Worker-thread entry for FileWriterPool: writes batches of small files with synchronous calls. */
import { parentPort, workerData } from "node:worker_threads";
import { serveRequests } from "../workers/worker-pool.js";
import { writeFileSync, type FileWriteRequest, type FileWriteResult } from "./file-write-job.js";

export interface FileWriterRequest {
  seq: number;
  files: FileWriteRequest[];
}

/** The blob-ID subkey, when the pool verifies blobs here (see FileWriterPool); never leaves the process. */
const idKey = (workerData as { idKey?: Uint8Array } | undefined)?.idKey;

serveRequests<FileWriterRequest, FileWriteResult[]>(parentPort, (req) => ({ result: req.files.map((f) => writeFileSync(f, idKey)) }));
