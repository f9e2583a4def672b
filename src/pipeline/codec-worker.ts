/**
 * Worker-thread entry for WorkerCodec: compresses blobs and seals packs off
 * the main thread, which keeps chunking and hashing. Errors travel back as
 * { error } with the message and the IntegrityError fields, and are rethrown
 * as IntegrityError on the main thread.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { toWireError } from "../workers/wire-error.js";
import { transferable } from "../workers/transfer.js";
import { parseRecipient, type AgeRecipient } from "../crypto/age-keys.js";
import { compressVerified, sealVerified } from "../repository/pack-codec.js";
import type { CodecRequest, CodecResponse, CodecWorkerData } from "./codec-messages.js";
import { LargeFileReader, type LargeFileBatch } from "./large-file-job.js";
import { readSmallFiles } from "./small-file-job.js";

const { blobIdKey, chunking } = (workerData ?? {}) as CodecWorkerData;
const largeFiles = new Map<number, LargeFileReader>();

const recipientCache = new Map<string, AgeRecipient>();

/**
 * A worker's heap is tiny while the buffers it receives (cloned chunks, packs)
 * are large and external, so V8 lets dead buffers pile up per worker before
 * collecting. A full collection after every sealed pack and large-file batch
 * kept memory flat but cost seconds of CPU on a 1 GiB backup. The buffers a
 * request leaves behind are young, so a minor collection (a scavenge) frees
 * them for far less; a full one runs only if external memory still grows
 * (docs/PERFORMANCE.md).
 */
const FULL_GC_AFTER_GROWTH = 64 * 1024 * 1024;
type Gc = (o?: { type: "minor" | "major" }) => void;
const gc: Gc | undefined = (() => {
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as Gc;
  } catch {
    return undefined;
  }
})();
let externalAfterFullGc = 0;
function collect(): void {
  if (!gc) return;
  gc({ type: "minor" });
  const external = v8.getHeapStatistics().external_memory;
  if (external < externalAfterFullGc) externalAfterFullGc = external;
  if (external - externalAfterFullGc < FULL_GC_AFTER_GROWTH) return;
  gc({ type: "major" });
  externalAfterFullGc = v8.getHeapStatistics().external_memory;
}

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
    return { res: { seq: req.seq, ok: true, compressed: r.compressed, bytes: r.bytes }, transfer: transferable(r.bytes) };
  }
  if (req.op === "files") {
    if (!blobIdKey) throw new Error("codec worker started without a blob-ID key cannot read files");
    const results = readSmallFiles(req.files, req.level, blobIdKey);
    const shared = results.find((r) => r.ok && r.blob);
    return { res: { seq: req.seq, ok: true, results }, transfer: shared?.ok && shared.blob ? [shared.blob.bytes.buffer as ArrayBuffer] : [] };
  }
  if (req.op === "largeOpen" || req.op === "largeNext" || req.op === "largeClose") return largeFile(req);
  const s = sealVerified(req.parts, recipients(req.recipients), req.what);
  req.parts.length = 0;
  const file = new Uint8Array(s.file.buffer, s.file.byteOffset, s.file.byteLength);
  return { res: { seq: req.seq, ok: true, file, headerLength: s.headerLength, id: s.id }, transfer: transferable(file) };
}

function largeFile(req: Extract<CodecRequest, { op: "largeOpen" | "largeNext" | "largeClose" }>): { res: CodecResponse; transfer: ArrayBuffer[] } {
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
  return { res: { seq: req.seq, ok: true, batch }, transfer: batch.blobs?.map((b) => b.bytes.buffer as ArrayBuffer) ?? [] };
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
