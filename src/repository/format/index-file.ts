import { IntegrityError } from "../../core/errors.js";
import type { AgentKey } from "../../crypto/agent-key.js";
import { seal, unseal } from "../../crypto/sealed.js";
import { decompressBlob } from "../../compression/zstd.js";
import { compressVerified } from "./pack-codec.js";
import { decodeJson, encodeJson, MAX_JSON_BODY } from "./json-body.js";
import { packRowOf, packRowProblem, type IndexPack } from "./pack-row.js";
import { MAX_ZSTD_EXPANSION } from "./pack-format.js";

export type { IndexPack } from "./pack-row.js";

/**
 * Index files (`index/<sha256>`, docs/FORMAT.md §Index): sealed with the agent
 * key; body = u8 flags (bit 0: zstd) || u32le raw JSON length || JSON, zstd-compressed when flagged. Each lists packs and the blobs
 * they hold, so the agent can dedup, check and prune without the identity.
 */
export interface IndexBody {
  version: 1;
  packs: IndexPack[];
}

export function sealIndex(agent: AgentKey, packs: readonly IndexPack[]): Buffer {
  return seal(agent, "index", encodeIndexBody({ version: 1, packs }));
}

/** u8 flags || u32le JSON length || JSON, zstd-compressed when that saves enough (index files and prune marks). */
export function encodeIndexBody(value: unknown, what = "new index"): Buffer {
  const json = encodeJson(value);
  const { bytes, compressed } = compressVerified(json, 3, what);
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32LE(json.byteLength, 1);
  return Buffer.concat([head, bytes]);
}

/**
 * The JSON of an index-shaped body (index files, prune marks), its claimed
 * length bounded before anything is decompressed: a claim above what a
 * reader parses, or above what zstd can expand the stored bytes to, could
 * only be a zstd bomb.
 */
export function decodeIndexBody(body: Buffer, kind: string, what: string): unknown {
  if (body.byteLength < 5) throw new IntegrityError(kind, what, "too short");
  const rawLength = body.readUInt32LE(1);
  if (rawLength > MAX_JSON_BODY)
    throw new IntegrityError(
      kind,
      what,
      `claims ${rawLength} bytes of JSON, more than the ${MAX_JSON_BODY} a reader parses`,
    );
  const stored = body.subarray(5);
  if (body[0] & 1 && rawLength > stored.byteLength * MAX_ZSTD_EXPANSION)
    throw new IntegrityError(
      kind,
      what,
      `claims ${rawLength} bytes of JSON from ${stored.byteLength} compressed bytes`,
    );
  const json = body[0] & 1 ? decompressBlob(stored, rawLength, what) : stored;
  if (json.byteLength !== rawLength)
    throw new IntegrityError(kind, what, `holds ${json.byteLength} bytes of JSON, its header says ${rawLength}`);
  return decodeJson(json, kind, what);
}

/**
 * The pack rows of a decoded body, each checked by the decoding rules
 * (docs/FORMAT.md §Index, src/repository/format/pack-row.ts): one row out of range
 * makes the whole object damaged, so its rows are never half used.
 */
export function checkedPackRows(packs: unknown, kind: string, what: string): IndexPack[] {
  if (!Array.isArray(packs)) throw new IntegrityError(kind, what, "packs is not a list");
  for (let i = 0; i < packs.length; i++) {
    const problem = packRowProblem(packs[i]);
    if (problem) throw new IntegrityError(kind, what, `pack row ${i}: ${problem}`);
  }
  return (packs as object[]).map(packRowOf);
}

export function openIndex(agent: AgentKey, file: Uint8Array, what: string): IndexBody {
  const parsed = decodeIndexBody(unseal(agent, "index", file, what), "index", what);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new IntegrityError("index", what, "expected a JSON object");
  const { version, packs } = parsed as Record<string, unknown>;
  if (version !== 1)
    throw new IntegrityError("index", what, `version ${JSON.stringify(version) ?? "missing"} is not 1`);
  return { version: 1, packs: checkedPackRows(packs, "index", what) };
}
