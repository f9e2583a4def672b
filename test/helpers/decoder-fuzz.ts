/**
 * Decoder fuzzing (docs/RELIABILITY.md S25, invariant 11): random bytes and
 * mutations of valid objects fed to a decoder must give a value or one of its
 * typed errors, quickly, and without a buffer sized by a length the decoder
 * did not bound. fast-check generates the inputs from a seed printed once per
 * file (replay with CAIRN_TEST_SEED); CAIRN_SOAK=1 (npm run test:soak) runs
 * many more. Every decoder call is counted, for the closing line.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { numericTestSeed } from "./prng.js";

export const SOAK = process.env.CAIRN_SOAK === "1";

/** Runs per property: a few seconds in the suite, minutes in the soak. */
export const RUNS = SOAK ? 20_000 : 120;

/** No zstd data expands more (src/repository/format/pack-format.ts): the bound on any buffer a decoder sizes from its input. */
const MAX_EXPANSION = 32 * 1024;
/** Fixed costs a decoder may allocate whatever its input (scratch buffers, a zstd frame's window). */
const ALLOWANCE = 1024 * 1024;
/** Far above any decoder's time on these small inputs, far below a hang. */
const MAX_MS = 5_000;

export class FuzzCounter {
  count = 0;
  readonly seed: number;
  private next = 0;
  constructor(readonly label: string) {
    this.seed = numericTestSeed(label);
  }
  /** fast-check parameters for the next property: its own seed derived from the file's. */
  params(runs = RUNS): fc.Parameters<unknown> {
    return { seed: (this.seed + this.next++ * 7919) | 0, numRuns: runs };
  }
  report(): void {
    console.log(`${this.label}: ${this.count} objects fuzzed (seed ${this.seed}${SOAK ? ", soak" : ""})`);
  }
}

type BufferAllocator = (size: number, ...rest: never[]) => Buffer;
const ALLOCATORS = ["alloc", "allocUnsafe", "allocUnsafeSlow"] as const;
const buffer = Buffer as unknown as Record<string, BufferAllocator>;

/** Watch Buffer's allocators until the returned function is called; it restores them and gives the largest size asked for. */
function watchAllocations(): () => number {
  let largest = 0;
  const saved = ALLOCATORS.map((name) => buffer[name]);
  ALLOCATORS.forEach((name, i) => {
    buffer[name] = (size, ...rest) => {
      largest = Math.max(largest, size);
      return saved[i](size, ...rest);
    };
  });
  return () => {
    ALLOCATORS.forEach((name, i) => (buffer[name] = saved[i]));
    return largest;
  };
}

function expectBounded(started: number, largest: number, input: number, allowance: number): void {
  const ms = performance.now() - started;
  expect(ms, `decoding ${input} bytes took ${ms} ms`).toBeLessThan(MAX_MS);
  expect(largest, `a buffer of ${largest} bytes for ${input} bytes of input`).toBeLessThanOrEqual(
    allowance + MAX_EXPANSION * input,
  );
}

/**
 * Decode `input` with `decode`: it must return (then `check` judges the
 * value) or throw an instance of one of `typed`, in bounded time, sizing no
 * buffer beyond what its input can account for.
 */
export function expectTyped<T>(
  counter: FuzzCounter,
  input: Uint8Array,
  decode: (input: Uint8Array) => T,
  typed: readonly (abstract new (...args: never[]) => Error)[],
  check: (value: T) => void = () => undefined,
): void {
  counter.count++;
  const started = performance.now();
  const stop = watchAllocations();
  let value: T;
  try {
    value = decode(input);
  } catch (error) {
    expectBounded(started, stop(), input.length, ALLOWANCE);
    if (!typed.some((t) => error instanceof t)) throw error;
    return;
  }
  expectBounded(started, stop(), input.length, ALLOWANCE);
  check(value);
}

/**
 * An async decoder that never throws for anything found in its input (the
 * parent cache's contract): `decode` must settle in bounded time, sizing no
 * buffer beyond `allowance` plus what its input accounts for. Nothing else
 * may run meanwhile (the allocators are watched until it settles).
 */
export async function expectNoThrowAsync(
  counter: FuzzCounter,
  input: Uint8Array,
  decode: (input: Uint8Array) => Promise<void>,
  allowance = ALLOWANCE,
): Promise<void> {
  counter.count++;
  const started = performance.now();
  const stop = watchAllocations();
  try {
    await decode(input);
  } finally {
    expectBounded(started, stop(), input.length, allowance);
  }
}

/** Values a decoder must not trust: type confusion, boundaries of u32 and of safe integers, hostile names. */
export const edgeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    1,
    2,
    3,
    7,
    0.5,
    -0,
    255,
    256,
    65536,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 60,
    1e308,
    "",
    "..",
    "/",
    "\u0000",
    "a".repeat(300),
    "0".repeat(64),
    null,
    true,
    [],
    {},
  ),
  fc.integer(),
  fc.string({ maxLength: 80 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Numbers at the edges a decoder must bound: u32, safe integers, fractions, and any integer. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    -1,
    3,
    7,
    255,
    0.5,
    2 ** 28 + 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 33,
    2 ** 40,
    2 ** 53,
    2 ** 60,
    1e308,
  ),
  fc.integer(),
  fc.integer({ min: 0, max: 2 ** 32 + 100 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/**
 * One change to a JSON document: replace, delete or duplicate the n-th value
 * (counted depth-first, modulo their number), or put an edge number in place
 * of the n-th number, which keeps the shape and tests the bounds.
 */
export interface JsonMutation {
  at: number;
  op: "replace" | "delete" | "duplicate" | "number";
  value: unknown;
}

const jsonMutation = fc.oneof(
  fc.record({ at: fc.nat(), op: fc.constantFrom("replace", "delete", "duplicate"), value: edgeValue }),
  fc.record({ at: fc.nat(), op: fc.constant("number"), value: edgeNumber }),
  fc.record({ at: fc.nat(), op: fc.constant("number"), value: edgeNumber }),
);

export const jsonMutations: fc.Arbitrary<JsonMutation[]> = fc.array(jsonMutation, {
  minLength: 1,
  maxLength: 3,
}) as fc.Arbitrary<JsonMutation[]>;

/** `doc` (a JSON value) with the mutations applied, each to a fresh copy's n-th nested value. */
export function mutateJson(doc: unknown, mutations: readonly JsonMutation[]): unknown {
  let out = structuredClone(doc);
  for (const m of mutations) out = applyMutation(out, m);
  return out;
}

function applyMutation(doc: unknown, m: JsonMutation): unknown {
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown): void => {
    if (typeof v !== "object" || v === null) return;
    for (const [k, child] of Object.entries(v)) {
      slots.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(child);
    }
  };
  walk(doc);
  const numbers = slots.filter(
    ({ parent, key }) => typeof (parent as Record<string | number, unknown>)[key] === "number",
  );
  const pool = m.op === "number" ? numbers : slots;
  if (pool.length === 0) return m.op === "number" ? doc : m.value;
  const { parent, key } = pool[m.at % pool.length];
  const p = parent as Record<string | number, unknown>;
  if (m.op === "replace" || m.op === "number") p[key] = m.value;
  else if (m.op === "duplicate" && Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete p[key];
  return doc;
}

/** One change to bytes: flip a bit, overwrite a u32 with an edge value, cut, or extend. */
export interface ByteMutation {
  at: number;
  op: "flip" | "u32" | "truncate" | "append";
  value: number;
}

export const byteMutations: fc.Arbitrary<ByteMutation[]> = fc.array(
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom("flip", "u32", "truncate", "append"),
    value: fc.constantFrom(0, 1, 0xff, 0x7fffffff, 0x80000000, 0xffffffff),
  }),
  { minLength: 1, maxLength: 4 },
) as fc.Arbitrary<ByteMutation[]>;

export function mutateBytes(bytes: Uint8Array, mutations: readonly ByteMutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of mutations) {
    if (b.length === 0 && m.op !== "append") continue;
    const at = m.at % Math.max(1, b.length);
    if (m.op === "flip") b[at] ^= 1 << (m.value & 7);
    else if (m.op === "u32" && at + 4 <= b.length) b.writeUInt32LE(m.value >>> 0, at);
    else if (m.op === "truncate") b = b.subarray(0, at);
    else if (m.op === "append") b = Buffer.concat([b, Buffer.alloc((m.value & 0xff) + 1, m.value & 0xff)]);
  }
  return b;
}
