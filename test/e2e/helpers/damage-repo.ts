/**
 * A damage toolkit for a local repository directory (docs/RELIABILITY.md S10-S12):
 * flip one bit, truncate, or delete an object, chosen by kind; add stray
 * objects, or sealed objects a holder of the agent key could write.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AgentKey } from "../../../src/crypto/agent-key.js";
import { seal } from "../../../src/crypto/sealed.js";
import { listObjects } from "./kill-harness.js";

export type ObjectKind = "data pack" | "meta pack" | "index" | "snapshot" | "key";

const PREFIX: Record<ObjectKind, string> = {
  "data pack": "data/",
  "meta pack": "meta/",
  index: "index/",
  snapshot: "snapshots/",
  key: "keys/",
};

export function objectsOfKind(repoDir: string, kind: ObjectKind): string[] {
  return listObjects(repoDir, PREFIX[kind]);
}

/** Flip bit `bit` of byte `offset` (default: the middle byte) of the object; returns the offset. */
export function flipBit(repoDir: string, key: string, offset?: number, bit = 0): number {
  const p = join(repoDir, key);
  const bytes = readFileSync(p);
  const at = offset ?? Math.floor(bytes.length / 2);
  bytes[at] ^= 1 << bit;
  writeFileSync(p, bytes);
  return at;
}

export function truncateObject(repoDir: string, key: string, length: number): void {
  truncateSync(join(repoDir, key), length);
}

export function deleteObject(repoDir: string, key: string): void {
  rmSync(join(repoDir, key));
}

export function objectSize(repoDir: string, key: string): number {
  return readFileSync(join(repoDir, key)).length;
}

/** A copy of a pristine repository to damage. */
export function copyRepo(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

/** Write `bytes` at `key` (any key, a stray one included), creating its directories. */
export function putObject(repoDir: string, key: string, bytes: Uint8Array | string): void {
  const p = join(repoDir, key);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
}

/** Store `bytes` under its content name (SHA-256) below `prefix` (`data/` fans out by the first two hex digits); returns the key. */
export function putNamedObject(
  repoDir: string,
  prefix: "data/" | "meta/" | "index/" | "snapshots/" | "prune/",
  bytes: Uint8Array,
): string {
  const id = createHash("sha256").update(bytes).digest("hex");
  const key = prefix === "data/" || prefix === "meta/" ? `${prefix}${id.slice(0, 2)}/${id}` : `${prefix}${id}`;
  putObject(repoDir, key, bytes);
  return key;
}

/**
 * An index file sealed with the agent key (so its MAC verifies: what anyone
 * holding the agent key, or a buggy writer, can add) whose body is `body` as
 * JSON, whatever it holds. Returns its key.
 */
export function putSealedIndex(repoDir: string, agent: AgentKey, body: unknown): string {
  const json = Buffer.from(JSON.stringify(body));
  const head = Buffer.alloc(5);
  head.writeUInt32LE(json.byteLength, 1);
  return putNamedObject(repoDir, "index/", seal(agent, "index", Buffer.concat([head, json])));
}
