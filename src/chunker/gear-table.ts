import { createHmac } from "node:crypto";
import { CairnError } from "../core/errors.js";

/** Domain label, so the gear key can never yield bytes that another HMAC use of it also yields. */
const GEAR_LABEL = "cairn/chunker/gear-table/v1";
const GEAR_KEY_BYTES = 32;

/**
 * The 256-entry gear table for FastCDC, derived from a secret key.
 *
 * Chunk boundaries are a function of the content and this table. With a keyed
 * table, someone who sees only chunk (or pack) sizes cannot test whether a
 * known file is in the repository by chunking it themselves.
 *
 * Derivation (stable: changing it moves every boundary and breaks dedup with
 * older snapshots): HMAC-SHA256(key, label || 0x00 || counter_u32be) for
 * counter 0..31, concatenated to 1024 bytes, read as 256 little-endian uint32.
 *
 * @example
 * const gear = gearTable(agentGearKey); // 32 secret bytes
 * const chunker = new FastCdc(gear, DEFAULT_CHUNKER_PARAMS);
 */
export function gearTable(gearKey: Uint8Array): Uint32Array {
  if (gearKey.length !== GEAR_KEY_BYTES) {
    throw new CairnError("E_CHUNKER_KEY", `gear key must be ${GEAR_KEY_BYTES} bytes, got ${gearKey.length}`);
  }
  const bytes = new Uint8Array(256 * 4);
  const block = new Uint8Array(GEAR_LABEL.length + 5);
  block.set(Buffer.from(GEAR_LABEL, "ascii"));
  const view = new DataView(block.buffer);
  for (let counter = 0; counter < bytes.length / 32; counter++) {
    view.setUint32(GEAR_LABEL.length + 1, counter, false);
    bytes.set(createHmac("sha256", gearKey).update(block).digest(), counter * 32);
  }
  const table = new Uint32Array(256);
  const words = new DataView(bytes.buffer);
  for (let i = 0; i < 256; i++) table[i] = words.getUint32(i * 4, true);
  return table;
}
