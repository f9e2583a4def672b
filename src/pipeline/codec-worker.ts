/**
 * Worker-thread entry for WorkerCodec: compresses blobs and seals packs off
 * the main thread, which keeps chunking and hashing. Errors travel back as
 * { error } with the message and the IntegrityError fields, and are rethrown
 * as IntegrityError on the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import { toWireError } from "../workers/wire-error.js";
import { collectRequestGarbage as collect } from "../workers/collect-garbage.js";
import { transferable } from "../workers/transfer.js";
import { parseRecipient, type AgeRecipient } from "../crypto/age-keys.js";
import { compressVerified, sealVerified } from "../repository/format/pack-codec.js";
import type { CodecRequest, CodecResponse, CodecWorkerData } from "./codec-messages.js";
import { LargeFileReader, type LargeFileBatch } from "./large-file-job.js";
import { readSmallFiles } from "./small-file-job.js";

const { blobIdKey, chunking } = (workerData ?? {}) as CodecWorkerData;
const largeFiles = new Map<number, LargeFileReader>();

const recipientCache = new Map<string, AgeRecipient>();

function recipients(list: readonly string[]): AgeRecipient[] {
  return list.map((r) => {
    let p = recipientCache.get(r);
    if (!p) recipientCache.set(r, (p = parseRecipient(r)));
    return p;
  });
}

function handle(req: CodecRequest): { res: CodecResponse; transfer: ArrayBuffer[] } {
  if (req.op === "compress") {
    // The raw chunk came here without a copy (WorkerCodec.compress) and goes back the same way when it does not compress.
    const r = compressVerified(req.raw, req.level, req.what);
    return {
      res: { seq: req.seq, ok: true, compressed: r.compressed, bytes: r.bytes },
      transfer: transferable(r.bytes),
    };
  }
  if (req.op === "files") {
    if (!blobIdKey) throw new Error("codec worker started without a blob-ID key cannot read files");
    const results = readSmallFiles(req.files, req.level, blobIdKey);
    const shared = results.find((r) => r.ok && r.blob);
    return {
      res: { seq: req.seq, ok: true, results },
      transfer: shared?.ok && shared.blob ? [shared.blob.bytes.buffer as ArrayBuffer] : [],
    };
  }
  if (req.op === "largeOpen" || req.op === "largeNext" || req.op === "largeClose") return largeFile(req);
  const s = sealVerified(req.parts, recipients(req.recipients), req.what);
  req.parts.length = 0;
  const file = new Uint8Array(s.file.buffer, s.file.byteOffset, s.file.byteLength);
  return {
    res: { seq: req.seq, ok: true, file, headerLength: s.headerLength, id: s.id },
    transfer: transferable(file),
  };
}

function largeFile(req: Extract<CodecRequest, { op: "largeOpen" | "largeNext" | "largeClose" }>): {
  res: CodecResponse;
  transfer: ArrayBuffer[];
} {
  if (req.op === "largeClose") {
    largeFiles.get(req.session)?.close();
    largeFiles.delete(req.session);
    return { res: { seq: req.seq, ok: true, batch: { ok: true, blobs: [] } }, transfer: [] };
  }
  let reader = largeFiles.get(req.session);
  if (req.op === "largeOpen") {
    if (!blobIdKey || !chunking) throw new Error("codec worker started without chunking keys cannot read large files");
    try {
      reader = new LargeFileReader(req.file, chunking.gear, chunking.params, blobIdKey);
    } catch (e) {
      return { res: { seq: req.seq, ok: true, batch: { ok: false, message: (e as Error).message } }, transfer: [] };
    }
    largeFiles.set(req.session, reader);
  }
  if (!reader) throw new Error(`no open large file ${req.session} on this worker`);
  const batch: LargeFileBatch = reader.next(req.rawBytes);
  if (!batch.ok || batch.end) largeFiles.delete(req.session);
  collect(); // a batch's read buffers are dead now; see `collect`
  return {
    res: { seq: req.seq, ok: true, batch },
    transfer: batch.blobs?.map((b) => b.bytes.buffer as ArrayBuffer) ?? [],
  };
}

parentPort?.on("message", (req: CodecRequest) => {
  try {
    const { res, transfer } = handle(req);
    parentPort!.postMessage(res, transfer);
    if (req.op === "seal") collect();
  } catch (e) {
    parentPort!.postMessage({ seq: req.seq, ok: false, error: toWireError(e) } satisfies CodecResponse);
  }
});
