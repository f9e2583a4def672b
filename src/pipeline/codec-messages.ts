import type { ChunkerParams } from "../chunker/fastcdc.js";
import type { WireError } from "../workers/wire-error.js";
import type { LargeFileBatch, LargeFileRequest } from "./large-file-job.js";
import type { SmallFileRequest, SmallFileResult } from "./small-file-job.js";

/** Messages between WorkerCodec and codec-worker (structured-clone friendly). */
export type CodecRequest =
  | { seq: number; op: "compress"; raw: Uint8Array; level: number; what: string }
  | { seq: number; op: "seal"; parts: Uint8Array[]; recipients: string[]; what: string }
  | { seq: number; op: "files"; files: SmallFileRequest[]; level: number }
  | { seq: number; op: "largeOpen"; session: number; file: LargeFileRequest; rawBytes: number }
  | { seq: number; op: "largeNext"; session: number; rawBytes: number }
  | { seq: number; op: "largeClose"; session: number };

/** Passed to each worker at start: the blob-ID subkey for hashing small files (never leaves the process). */
export interface CodecWorkerData {
  blobIdKey?: Uint8Array;
  /** The keyed gear table and chunk sizes, for chunking large files on the worker. */
  chunking?: { gear: Uint32Array; params: ChunkerParams };
}

export type CodecResponse =
  | { seq: number; ok: true; compressed: boolean; bytes: Uint8Array }
  | { seq: number; ok: true; results: SmallFileResult[] }
  | { seq: number; ok: true; batch: LargeFileBatch }
  | { seq: number; ok: true; file: Uint8Array; headerLength: number; id: string }
  | { seq: number; ok: false; error: WireError };
