import { IntegrityError } from "../../core/errors.js";
import { BlobType } from "../../core/ids.js";

/**
 * Plaintext layout of a pack (docs/FORMAT.md §Packs):
 *   blob_0 || ... || blob_n-1 || entry_0 || ... || entry_n-1 || u32le n || "CAIRNPK1"
 * entry = u8 type || u8 flags (bit 0: zstd) || 32-byte blob id || u32le stored length || u32le raw length.
 * Offsets are implicit: blob i starts where blob i-1 ends. The trailer lets a
 * pack be read without the index (index rebuild, tool-free recovery).
 */
export const PACK_MAGIC = Buffer.from("CAIRNPK1", "ascii");
export const ENTRY_SIZE = 42;
/** u32le entry count and the magic: the last bytes of every pack's plaintext. */
export const FOOTER_SIZE = 4 + PACK_MAGIC.length;
const FLAG_ZSTD = 1;

/**
 * The largest raw blob (docs/FORMAT.md §Packs, Decoding rules): a data blob is
 * at most the chunker's largest chunk (256 MiB, src/chunker/fastcdc.ts), and
 * a tree or skeleton above the largest JSON body a reader parses
 * (src/repository/format/json-body.ts) could not be read anyway.
 */
export const MAX_BLOB_LENGTH = 256 * 1024 * 1024;
/**
 * No zstd data expands more than this: a block regenerates at most 128 KiB
 * and takes at least 4 bytes (an RLE block: 3-byte header, 1 byte), so a
 * compressed blob's raw length is bounded by its stored length before any
 * buffer is sized by it.
 */
export const MAX_ZSTD_EXPANSION = 32 * 1024;

export interface PackEntry {
  type: BlobType;
  id: Buffer;
  offset: number;
  length: number;
  rawLength: number;
  compressed: boolean;
}

export function encodeTrailer(entries: readonly PackEntry[]): Buffer {
  const out = Buffer.alloc(entries.length * ENTRY_SIZE + FOOTER_SIZE);
  let p = 0;
  for (const e of entries) {
    out[p] = e.type;
    out[p + 1] = e.compressed ? FLAG_ZSTD : 0;
    e.id.copy(out, p + 2);
    out.writeUInt32LE(e.length, p + 34);
    out.writeUInt32LE(e.rawLength, p + 38);
    p += ENTRY_SIZE;
  }
  out.writeUInt32LE(entries.length, p);
  PACK_MAGIC.copy(out, p + 4);
  return out;
}

/**
 * Why a blob entry's lengths cannot be true of any blob (docs/FORMAT.md §Packs,
 * Decoding rules), or undefined: the trailer and the index apply the same
 * rule, so no reader sizes a buffer by a length it did not bound.
 */
export function blobLengthProblem(length: number, rawLength: number, compressed: boolean): string | undefined {
  if (rawLength > MAX_BLOB_LENGTH) return `raw length ${rawLength} exceeds the ${MAX_BLOB_LENGTH}-byte limit of a blob`;
  if (!compressed && rawLength !== length)
    return `stored raw, yet its raw length ${rawLength} differs from its stored length ${length}`;
  if (compressed && rawLength > length * MAX_ZSTD_EXPANSION)
    return `raw length ${rawLength} is more than zstd can expand ${length} stored bytes to`;
  return undefined;
}

/** Parse the trailer of a decrypted pack; every length is bounded by the pack size before use. */
export function decodeTrailer(plain: Uint8Array, what: string): PackEntry[] {
  const buf = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  if (buf.length < FOOTER_SIZE || !buf.subarray(buf.length - PACK_MAGIC.length).equals(PACK_MAGIC)) {
    throw new IntegrityError("pack", what, "missing pack trailer magic");
  }
  const count = buf.readUInt32LE(buf.length - FOOTER_SIZE);
  const trailerStart = buf.length - FOOTER_SIZE - count * ENTRY_SIZE;
  if (count > buf.length / ENTRY_SIZE || trailerStart < 0)
    throw new IntegrityError("pack", what, `trailer claims ${count} blobs, more than fit`);
  const entries: PackEntry[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const p = trailerStart + i * ENTRY_SIZE;
    const type = buf[p] as BlobType;
    if (!(type in BlobType)) throw new IntegrityError("pack", what, `blob ${i} has unknown type ${type}`);
    const length = buf.readUInt32LE(p + 34);
    const rawLength = buf.readUInt32LE(p + 38);
    const compressed = (buf[p + 1] & FLAG_ZSTD) !== 0;
    const problem = blobLengthProblem(length, rawLength, compressed);
    if (problem) throw new IntegrityError("pack", what, `blob ${i}: ${problem}`);
    entries.push({ type, compressed, id: Buffer.from(buf.subarray(p + 2, p + 34)), offset, length, rawLength });
    offset += length;
  }
  if (offset !== trailerStart)
    throw new IntegrityError("pack", what, `blob lengths sum to ${offset}, trailer starts at ${trailerStart}`);
  return entries;
}
