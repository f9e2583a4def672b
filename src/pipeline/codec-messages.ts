import type { SmallFileRequest, SmallFileResult } from "./small-file-job.js";

/** Messages between WorkerCodec and codec-worker (structured-clone friendly). */
export type CodecRequest =
  | { seq: number; op: "compress"; raw: Uint8Array; level: number; what: string }
  | { seq: number; op: "seal"; parts: Uint8Array[]; recipients: string[]; what: string }
  | { seq: number; op: "files"; files: SmallFileRequest[]; level: number };

/** Passed to each worker at start: the blob-ID subkey for hashing small files (never leaves the process). */
export interface CodecWorkerData {
  blobIdKey?: Uint8Array;
}

export type CodecResponse =
  | { seq: number; ok: true; compressed: boolean; bytes: Uint8Array }
  | { seq: number; ok: true; results: SmallFileResult[] }
  | { seq: number; ok: true; file: Uint8Array; headerLength: number; id: string }
  | { seq: number; ok: false; message: string; kind?: string; objectKey?: string };
