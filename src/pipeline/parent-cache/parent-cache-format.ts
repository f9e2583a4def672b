import zlib from "node:zlib";
import { blobIdOfDigest, type BlobId } from "../../core/ids.js";

/**
 * On-disk format of the parent cache, version 1. The file is local to one host,
 * never uploaded, and only ever an optimisation: a reader that finds anything
 * it does not expect stops using the file instead of failing the backup.
 *
 *   file    := header record* end
 *   header  := "CAIRN-PARENT-CACHE/1 " JSON({"generation": string, "tag": string}) "\n"
 *              (at most MAX_HEADER bytes including the newline)
 *   record  := u32 bodyLength | body | u32 crc32(bodyLength | body)
 *   body    := u32 keyLength | key | u64 size | i64 mtimeNs | i64 ctimeNs
 *              | f64 ino | f64 dev | u32 contentCount | contentCount x 32-byte blob id
 *   end     := u32 0 | u32 recordCount | u32 crc32(the 8 bytes before it)
 *
 * Integers are little-endian. Keys are strictly increasing in Buffer.compare
 * order. A key is a path's components joined by 0x00 (see pathKey), so this is
 * also the order the depth-first, name-sorted walk visits files in.
 * ino and dev are f64 because that is how fs.Stats reports them without bigint.
 * A file without its end record was truncated. A bodyLength of 0 is the end
 * record, so an empty body can never be confused with it: a body is at least
 * FIXED_BODY bytes long.
 */
export const MAGIC = "CAIRN-PARENT-CACHE/1 ";
export const MAX_HEADER = 4096;
/** A path key longer than this is not cached. Linux PATH_MAX is 4096; deep trees can exceed it. */
export const MAX_KEY = 64 * 1024;
/** 2^21 ids (64 MiB per record) is a 2 TiB file at 1 MiB average chunks; bigger files are not cached. */
export const MAX_CONTENT = 1 << 21;
/** keyLength + size + mtimeNs + ctimeNs + ino + dev + contentCount. */
export const FIXED_BODY = 4 + 8 * 5 + 4;
export const MAX_BODY = FIXED_BODY + MAX_KEY + 32 * MAX_CONTENT;
/** Length prefix and crc around each body. */
export const FRAME_OVERHEAD = 8;
export const END_LENGTH = 12;

export interface CachedFile {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: number;
  dev: number;
  /** Data blob ids, hex, in file order. */
  content: BlobId[];
}

export interface CacheHeader {
  generation: string;
  tag: string;
}

const CRC_TABLE = makeCrcTable();

function makeCrcTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** CRC-32 (IEEE, as zlib) in JavaScript, for Node releases before zlib.crc32 (20.15). */
export function jsCrc32(b: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * CRC-32 catches the accidental damage a local file suffers (bad disk, torn
 * write). It is no defence against an attacker, who could as well edit the
 * files being backed up. The native one is about twice as fast.
 */
export const crc32: (b: Uint8Array) => number = typeof zlib.crc32 === "function" ? (b) => zlib.crc32(b) : jsCrc32;

/**
 * Buffer.compare order, in JavaScript: path keys are short, and for short
 * buffers the call into C++ costs more than the comparison (it was most of the
 * merge-join's time).
 */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function encodeHeader(h: CacheHeader): Buffer {
  const line = Buffer.from(`${MAGIC}${JSON.stringify(h)}\n`, "utf8");
  if (line.length > MAX_HEADER)
    throw new RangeError(`parent cache header over ${MAX_HEADER} bytes (generation or tag too long)`);
  return line;
}

/** Parses the header line (without its newline); undefined when it is not ours. */
export function parseHeader(line: Buffer): CacheHeader | undefined {
  const text = line.toString("utf8");
  if (!text.startsWith(MAGIC)) return undefined;
  try {
    const h: unknown = JSON.parse(text.slice(MAGIC.length));
    if (typeof h !== "object" || h === null) return undefined;
    const { generation, tag } = h as Record<string, unknown>;
    return typeof generation === "string" && typeof tag === "string" ? { generation, tag } : undefined;
  } catch {
    return undefined;
  }
}

/** Raw content ids, validated: every id must be 64 hex characters. */
export function encodeContent(content: readonly string[]): Buffer {
  const out = Buffer.allocUnsafe(content.length * 32);
  for (let i = 0; i < content.length; i++) {
    const id = content[i];
    if (typeof id !== "string" || id.length !== 64 || out.write(id, i * 32, 32, "hex") !== 32) {
      throw new TypeError(`content id ${i} is not 64 hex characters: ${JSON.stringify(id)}`);
    }
  }
  return out;
}

/** Throws TypeError for fields the format cannot hold exactly. */
export function checkFile(rec: CachedFile): void {
  if (!Number.isSafeInteger(rec.size) || rec.size < 0)
    throw new TypeError(`size must be a non-negative safe integer, got ${rec.size}`);
  if (!isInt64(rec.mtimeNs) || !isInt64(rec.ctimeNs)) throw new TypeError("mtimeNs and ctimeNs must be 64-bit bigints");
  if (typeof rec.ino !== "number" || typeof rec.dev !== "number") throw new TypeError("ino and dev must be numbers");
}

function isInt64(v: bigint): boolean {
  return typeof v === "bigint" && BigInt.asIntN(64, v) === v;
}

export function frameLength(keyLength: number, contentBytes: number): number {
  return FRAME_OVERHEAD + FIXED_BODY + keyLength + contentBytes;
}

/** Writes one framed record at `at`; the caller sized `out` with frameLength. */
export function encodeRecord(out: Buffer, at: number, key: Uint8Array, rec: CachedFile, content: Buffer): number {
  const bodyLength = FIXED_BODY + key.length + content.length;
  let p = out.writeUInt32LE(bodyLength, at);
  p = out.writeUInt32LE(key.length, p);
  out.set(key, p);
  p += key.length;
  p = out.writeBigUInt64LE(BigInt(rec.size), p);
  p = out.writeBigInt64LE(rec.mtimeNs, p);
  p = out.writeBigInt64LE(rec.ctimeNs, p);
  p = out.writeDoubleLE(rec.ino, p);
  p = out.writeDoubleLE(rec.dev, p);
  p = out.writeUInt32LE(content.length / 32, p);
  out.set(content, p);
  p += content.length;
  return out.writeUInt32LE(crc32(out.subarray(at, p)), p);
}

export function encodeEnd(recordCount: number): Buffer {
  const b = Buffer.alloc(END_LENGTH);
  b.writeUInt32LE(recordCount, 4);
  b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
  return b;
}

/** True when a framed end record (END_LENGTH bytes) is intact and counts `recordCount` records. */
export function isValidEnd(frame: Buffer, recordCount: number): boolean {
  return frame.readUInt32LE(4) === recordCount && frame.readUInt32LE(8) === crc32(frame.subarray(0, 8));
}

/**
 * The key of a framed record (length prefix, body and crc), or undefined when
 * the crc or the internal lengths disagree. The key aliases `frame`.
 */
export function checkedKey(frame: Buffer): Buffer | undefined {
  const bodyEnd = frame.length - 4;
  if (frame.readUInt32LE(bodyEnd) !== crc32(frame.subarray(0, bodyEnd))) return undefined;
  const bodyLength = bodyEnd - 4;
  const keyLength = frame.readUInt32LE(4);
  if (keyLength > bodyLength - FIXED_BODY) return undefined;
  const count = frame.readUInt32LE(4 + 4 + keyLength + 40);
  if (FIXED_BODY + keyLength + count * 32 !== bodyLength) return undefined;
  return frame.subarray(8, 8 + keyLength);
}

/** Decodes a framed record that checkedKey accepted. */
export function decodeFile(frame: Buffer, keyLength: number): CachedFile {
  let p = 8 + keyLength;
  const size = Number(frame.readBigUInt64LE(p));
  const mtimeNs = frame.readBigInt64LE(p + 8);
  const ctimeNs = frame.readBigInt64LE(p + 16);
  const ino = frame.readDoubleLE(p + 24);
  const dev = frame.readDoubleLE(p + 32);
  const count = frame.readUInt32LE(p + 40);
  p += 44;
  const content: BlobId[] = new Array<BlobId>(count);
  for (let i = 0; i < count; i++) content[i] = blobIdOfDigest(frame.subarray(p + i * 32, p + i * 32 + 32));
  return { size, mtimeNs, ctimeNs, ino, dev, content };
}
