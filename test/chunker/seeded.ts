import { createCipheriv, createHash, randomBytes } from "node:crypto";

/**
 * Seed for property tests: CAIRN_TEST_SEED if set, else random. Printed so a
 * failure can be replayed with `CAIRN_TEST_SEED=<seed> npx vitest run ...`.
 */
export function testSeed(label: string): string {
  const seed = process.env.CAIRN_TEST_SEED ?? randomBytes(8).toString("hex");
  console.log(`${label}: CAIRN_TEST_SEED=${seed}`);
  return seed;
}

/** `length` pseudo-random bytes from `seed` (AES-256-CTR keystream: fast, ~GB/s). */
export function seededBytes(seed: string, length: number): Uint8Array {
  const key = createHash("sha256").update(seed).digest();
  return createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

/** Deterministic integers in [lo, hi] from `seed` (mulberry32; statistical quality is not needed here). */
export function seededInts(seed: string, lo: number, hi: number): () => number {
  let s = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return lo + (((t ^ (t >>> 14)) >>> 0) % (hi - lo + 1));
  };
}

/** Split `data` into consecutive pieces whose sizes come from `size()`. */
export function split(data: Uint8Array, size: () => number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const n = Math.max(1, size());
    pieces.push(data.subarray(at, at + n));
    at += n;
  }
  return pieces;
}

export async function* asAsync(pieces: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const p of pieces) yield p;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
