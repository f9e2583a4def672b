/** Worker-thread entry for FileWriterPool: writes batches of small files with synchronous calls. */
import { parentPort } from "node:worker_threads";
import { writeFileSync, type FileWriteRequest, type FileWriteResult } from "./file-write-job.js";

export interface FileWriterRequest {
  seq: number;
  files: FileWriteRequest[];
}

export interface FileWriterResponse {
  seq: number;
  results: FileWriteResult[];
}

parentPort?.on("message", (req: FileWriterRequest) => {
  const results = req.files.map(writeFileSync);
  parentPort!.postMessage({ seq: req.seq, results } satisfies FileWriterResponse);
});
