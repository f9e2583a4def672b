/**
 * A damage toolkit for a local repository directory (RELIABILITY S10-S12):
 * flip one bit, truncate, or delete an object, chosen by kind.
 */
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
