// The binding module is CommonJS that re-exports a .node addon, so Node can only
// offer it as a default import (no statically detectable named exports).
import zstd from "zstd-napi/binding.js";
import { IntegrityError } from "../core/errors.js";
import { ScratchBuffer } from "../core/scratch-buffer.js";

/**
 * Keep the compressed form only if it saves at least 3%. Below that the data is
 * effectively incompressible (already-compressed media, encrypted dumps): the
 * few bytes saved do not pay for decompressing on every restore and check.
 */
const MIN_SAVING = 0.03;

/** One context each for the process: contexts are costly to create and the hot path runs on one thread. */
const cctx = new zstd.CCtx();
// A 4-byte XXH64 content checksum per frame: corruption is caught here even
// where zstd would otherwise decode damaged literals silently. Packs are also
// authenticated, so this guards our own bugs more than the storage.
cctx.setParameter(zstd.CParameter.checksumFlag, 1);
const dctx = new zstd.DCtx();
/** Reused output buffer of compressBound(size), grown on demand; bounded by the largest blob. */
const output = new ScratchBuffer();

/**
 * Compress a blob with zstd: one standard frame with content size and checksum,
 * so `zstd -d` can read it. Returns the input itself with `compressed: false`
 * when compression would save less than MIN_SAVING.
 *
 * @example
 * const { bytes, compressed } = compressBlob(chunk);
 * const plain = compressed ? decompressBlob(bytes, chunk.length, id) : bytes;
 */
export function compressBlob(data: Uint8Array, level = 3): { bytes: Uint8Array; compressed: boolean } {
  const scratch = output.atLeast(zstd.compressBound(data.length));
  cctx.setParameter(zstd.CParameter.compressionLevel, level);
  const size = cctx.compress2(scratch, data); // one-shot: the frame header records data.length
  if (data.length - size < data.length * MIN_SAVING) return { bytes: data, compressed: false };
  // Copy out: scratch is reused by the next call.
  return { bytes: new Uint8Array(scratch.subarray(0, size)), compressed: true };
}

/**
 * Decompress a blob that must expand to exactly `rawLength` bytes (the length
 * recorded in the authenticated index). `what` names the blob in errors.
 *
 * Zstd-bomb guard: the frame's declared content size must equal rawLength
 * before anything is allocated, and the output buffer is exactly rawLength
 * bytes, so zstd fails rather than writing more (e.g. from extra frames).
 *
 * @throws IntegrityError on any corruption or size mismatch.
 */
export function decompressBlob(data: Uint8Array, rawLength: number, what: string, into?: Buffer): Uint8Array {
  const fail = (message: string, cause?: unknown): never => {
    throw new IntegrityError("blob", what, message, { cause });
  };
  if (!Number.isSafeInteger(rawLength) || rawLength < 0) fail(`invalid raw length ${rawLength}`);
  const declared = declaredSize(data, fail);
  if (declared !== rawLength) fail(`zstd frame declares ${declared} bytes, expected ${rawLength}`);
  // `into` (a reusable scratch buffer, at least rawLength long) spares an allocation when the caller only compares.
  const out = into && into.length >= rawLength ? into.subarray(0, rawLength) : Buffer.allocUnsafeSlow(rawLength);
  let size = -1;
  try {
    size = dctx.decompress(out, data);
  } catch (err) {
    fail(`corrupt zstd data (${(err as Error).message})`, err);
  }
  if (size !== rawLength) fail(`zstd produced ${size} bytes, expected ${rawLength}`);
  return out;
}

/** Content size from the first frame header; we always write it, so a frame without one is refused. */
function declaredSize(data: Uint8Array, fail: (message: string, cause?: unknown) => never): number {
  let size: number | null = null;
  try {
    size = zstd.getFrameContentSize(data);
  } catch (err) {
    fail(`not a zstd frame (${(err as Error).message})`, err);
  }
  return size ?? fail("zstd frame does not declare its content size");
}
