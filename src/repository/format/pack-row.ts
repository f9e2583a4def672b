import { PAYLOAD_NONCE_SIZE, plainPayloadSize } from "../../crypto/age-stream.js";
import { AGE_MAX_HEADER_LENGTH } from "../../crypto/age-file.js";
import { BlobType, isHexId, type BlobId } from "../../core/ids.js";
import { blobLengthProblem, ENTRY_SIZE, FOOTER_SIZE } from "./pack-format.js";

/** A blob row of an index pack row: [type, blob id, offset, stored length, raw length, compressed 0/1]. */
/** type, id, offset, length, raw length, compressed: typed once the decoding rules (packRowProblem) accepted the row. */
export type BlobRow = [BlobType, BlobId, number, number, number, 0 | 1];

/** One pack as index files and prune marks list it (docs/FORMAT.md §Index). */
export interface IndexPack {
  id: string;
  kind: "data" | "meta";
  /** Bytes of the stored age file. */
  size: number;
  headerLength: number;
  blobs: BlobRow[];
}

const U32_LIMIT = 2 ** 32;
const isU32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < U32_LIMIT;

/** A value as it may appear in a message: short, whatever it is. */
function shown(v: unknown): string {
  const s = typeof v === "number" ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * The plaintext bytes a pack of `size` stored bytes can hold before the
 * trailer of `blobs` entries (docs/FORMAT.md §age files, §Packs), or -1 when
 * no age file of that size and header length holds them.
 */
function blobCapacity(size: number, headerLength: number, blobs: number): number {
  try {
    return plainPayloadSize(size - headerLength - PAYLOAD_NONCE_SIZE, "pack") - FOOTER_SIZE - blobs * ENTRY_SIZE;
  } catch {
    return -1;
  }
}

function blobRowProblem(row: unknown, kind: "data" | "meta", capacity: number): string | undefined {
  if (!Array.isArray(row) || row.length !== 6) return "not a row of 6 values";
  const [type, id, offset, length, rawLength, compressed] = row as unknown[];
  if (type !== BlobType.Data && type !== BlobType.Tree && type !== BlobType.Skeleton)
    return `unknown blob type ${shown(type)}`;
  if ((type === BlobType.Skeleton) !== (kind === "meta"))
    return `a ${BlobType[type].toLowerCase()} blob cannot be in a ${kind} pack`;
  if (typeof id !== "string" || !isHexId(id)) return `blob id ${shown(id)} is not 64 lower-case hex digits`;
  if (!isU32(offset) || !isU32(length) || !isU32(rawLength))
    return `offset ${shown(offset)}, stored length ${shown(length)} and raw length ${shown(rawLength)} must be integers below 2^32`;
  if (compressed !== 0 && compressed !== 1) return `compressed flag ${shown(compressed)} is neither 0 nor 1`;
  const lengths = blobLengthProblem(length, rawLength, compressed === 1);
  if (lengths) return lengths;
  if (offset + length > capacity)
    return `bytes ${offset} to ${offset + length} lie beyond the ${capacity} bytes of blobs the pack's size leaves room for`;
  return undefined;
}

/**
 * Why `p` is not a pack row any honest writer could have written
 * (docs/FORMAT.md §Index, Decoding rules), or undefined. Every field is
 * bounded by the format before anything uses it: the pack's kind and the
 * types it may hold, 32-bit offsets and lengths, blob lengths (§Packs), and
 * every blob inside the plaintext the pack's size and header length leave
 * before its trailer. A row with no blobs (a pack condemned unindexed, §Prune)
 * only needs a sane id, kind, size and header length.
 */
export function packRowProblem(p: unknown): string | undefined {
  if (typeof p !== "object" || p === null || Array.isArray(p)) return "a pack row is not an object";
  const { id, kind, size, headerLength, blobs } = p as Record<string, unknown>;
  if (typeof id !== "string" || !isHexId(id)) return `pack id ${shown(id)} is not 64 lower-case hex digits`;
  if (kind !== "data" && kind !== "meta") return `pack ${id}: kind ${shown(kind)} is neither "data" nor "meta"`;
  if (!Number.isSafeInteger(size) || (size as number) < 1)
    return `pack ${id}: size ${shown(size)} is not a positive integer`;
  if (
    !Number.isInteger(headerLength) ||
    (headerLength as number) < 1 ||
    (headerLength as number) > AGE_MAX_HEADER_LENGTH
  )
    return `pack ${id}: header length ${shown(headerLength)} is not an integer from 1 to ${AGE_MAX_HEADER_LENGTH}`;
  if (!Array.isArray(blobs)) return `pack ${id}: blobs is not a list`;
  if (blobs.length === 0) return undefined;
  const capacity = blobCapacity(size as number, headerLength as number, blobs.length);
  if (capacity < 0)
    return `pack ${id}: size ${size as number} cannot hold a ${headerLength as number}-byte header and ${blobs.length} blobs`;
  for (let i = 0; i < blobs.length; i++) {
    const problem = blobRowProblem(blobs[i], kind, capacity);
    if (problem) return `pack ${id}, blob ${i}: ${problem}`;
  }
  return undefined;
}

/** `p` as an IndexPack, keys the format does not define dropped (an old reader ignores new optional fields). */
export function packRowOf(p: object): IndexPack {
  if (Object.keys(p).length === 5) return p as IndexPack;
  const { id, kind, size, headerLength, blobs } = p as IndexPack;
  return { id, kind, size, headerLength, blobs };
}
