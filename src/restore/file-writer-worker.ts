/** Worker-thread entry for FileWriterPool: writes batches of small files with synchronous calls. */
import { parentPort, workerData } from "node:worker_threads";
import { writeFileSync, type FileWriteRequest, type FileWriteResult } from "./file-write-job.js";

export interface FileWriterRequest {
  seq: number;
  files: FileWriteRequest[];
}

export interface FileWriterResponse {
  seq: number;
  results: FileWriteResult[];
}

/** The blob-ID subkey, when the pool verifies blobs here (see FileWriterPool); never leaves the process. */
const idKey = (workerData as { idKey?: Uint8Array } | undefined)?.idKey;

parentPort?.on("message", (req: FileWriterRequest) => {
  const results = req.files.map((f) => writeFileSync(f, idKey));
  parentPort!.postMessage({ seq: req.seq, results } satisfies FileWriterResponse);
});
