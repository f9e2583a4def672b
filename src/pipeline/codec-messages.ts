/** Messages between WorkerCodec and codec-worker (structured-clone friendly). */
export type CodecRequest =
  | { seq: number; op: "compress"; raw: Uint8Array; level: number; what: string }
  | { seq: number; op: "seal"; parts: Uint8Array[]; recipients: string[]; what: string };

export type CodecResponse =
  | { seq: number; ok: true; compressed: boolean; bytes: Uint8Array }
  | { seq: number; ok: true; file: Uint8Array; headerLength: number; id: string }
  | { seq: number; ok: false; message: string; kind?: string; objectKey?: string };
