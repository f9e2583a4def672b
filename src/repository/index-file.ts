import { z } from "zod";
import { IntegrityError } from "../core/errors.js";
import type { AgentKey } from "../crypto/agent-key.js";
import { seal, unseal } from "../crypto/sealed.js";
import { decompressBlob } from "../compression/zstd.js";
import { compressVerified } from "./pack-codec.js";
import { BlobType, isHexId, type BlobId } from "../core/ids.js";
import type { BlobIndex } from "./blob-index.js";
import { decodeJson, encodeJson } from "./json-body.js";
import type { UploadedPack } from "./pack-writer.js";

/**
 * Index files (`index/<sha256>`, docs/FORMAT.md §Index): sealed with the agent
 * key; body = u8 flags (bit 0: zstd) || u32le raw JSON length || JSON, zstd-compressed when flagged. Each lists packs and the blobs
 * they hold, so the agent can dedup, check and prune without the identity.
 */
const BlobRow = z.tuple([
  z.number().int(),
  z.string().regex(/^[0-9a-f]{64}$/),
  z.number().int().nonnegative(),
  z.number().int().nonnegative(),
  z.number().int().nonnegative(),
  z.union([z.literal(0), z.literal(1)]),
]);
export const PackRowSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{64}$/),
  kind: z.enum(["data", "meta"]),
  size: z.number().int().positive(),
  headerLength: z.number().int().positive(),
  blobs: z.array(BlobRow),
});
const IndexSchema = z.object({ version: z.literal(1), packs: z.array(PackRowSchema) });
export type IndexBody = z.infer<typeof IndexSchema>;
export type IndexPack = z.infer<typeof PackRowSchema>;

/** An index larger than this (raw JSON) is refused: bounds memory on a hostile object. */
const MAX_INDEX_JSON = 1024 * 1024 * 1024;

export function indexPackOf(p: UploadedPack): IndexPack {
  return {
    id: p.id,
    kind: p.kind,
    size: p.size,
    headerLength: p.headerLength,
    blobs: p.entries.map((e) => [e.type, e.id.toString("hex"), e.offset, e.length, e.rawLength, e.compressed ? 1 : 0]),
  };
}

export function sealIndex(agent: AgentKey, packs: readonly IndexPack[]): Buffer {
  const json = encodeJson({ version: 1, packs });
  const { bytes, compressed } = compressVerified(json, 3, "new index");
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32LE(json.byteLength, 1);
  return seal(agent, "index", Buffer.concat([head, bytes]));
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The shape IndexSchema accepts, checked by hand: an index lists every blob
 * of the repository, and zod spent ~5 µs per row (a quarter of a second per
 * command on a 1 GiB repository). Anything this rejects goes through zod,
 * which then words the error.
 */
function looksValid(body: unknown): body is IndexBody {
  if (typeof body !== "object" || body === null) return false;
  const b = body as { version?: unknown; packs?: unknown };
  return (
    b.version === 1 &&
    Array.isArray(b.packs) &&
    Object.keys(b).length === 2 &&
    (b.packs as unknown[]).every(packLooksValid)
  );
}

function packLooksValid(p: unknown): boolean {
  // Unknown keys: zod strips them, so leave those packs to zod.
  if (typeof p !== "object" || p === null || Object.keys(p).length !== 5) return false;
  const { id, kind, size, headerLength, blobs } = p as Record<string, unknown>;
  if (typeof id !== "string" || !isHexId(id) || (kind !== "data" && kind !== "meta")) return false;
  return (
    isCount(size) &&
    size > 0 &&
    isCount(headerLength) &&
    headerLength > 0 &&
    Array.isArray(blobs) &&
    (blobs as unknown[]).every(rowLooksValid)
  );
}

function rowLooksValid(row: unknown): boolean {
  if (!Array.isArray(row) || row.length !== 6) return false;
  const [type, blobId, offset, length, rawLength, compressed] = row as unknown[];
  if (!Number.isSafeInteger(type) || typeof blobId !== "string" || !isHexId(blobId)) return false;
  return isCount(offset) && isCount(length) && isCount(rawLength) && (compressed === 0 || compressed === 1);
}

export function openIndex(agent: AgentKey, file: Uint8Array, what: string): IndexBody {
  const body = unseal(agent, "index", file, what);
  if (body.byteLength < 5) throw new IntegrityError("index", what, "too short");
  const rawLength = body.readUInt32LE(1);
  if (rawLength > MAX_INDEX_JSON) throw new IntegrityError("index", what, `claims ${rawLength} bytes of JSON`);
  const stored = body.subarray(5);
  const json = body[0] & 1 ? decompressBlob(stored, rawLength, what) : stored;
  const parsed = decodeJson(json, "index", what);
  if (looksValid(parsed)) return parsed;
  const r = IndexSchema.safeParse(parsed);
  if (!r.success) throw new IntegrityError("index", what, r.error.message);
  return r.data;
}

/** Load an index file's packs into the in-memory index; `keep` can leave out packs (e.g. ones missing from storage). */
export function addToBlobIndex(
  index: BlobIndex,
  body: IndexBody,
  keep: (pack: IndexPack) => boolean = () => true,
): void {
  for (const p of body.packs) {
    if (!keep(p)) continue;
    const packIndex = index.addPack(p.id, { size: p.size, headerLength: p.headerLength, kind: p.kind });
    for (const [type, id, offset, length, rawLength, compressed] of p.blobs) {
      // Checked as lowercase hex where the body was decoded (openIndex, the prune mark's schema): a second regex per row was ~20 ms of every command's start.
      index.add(id as BlobId, {
        type: type as BlobType,
        packIndex,
        offset,
        length,
        rawLength,
        compressed: compressed === 1,
      });
    }
  }
}
