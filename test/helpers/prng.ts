/**
 * Seeded randomness shared by the randomised tests: every run prints its seed
 * and replays with CAIRN_TEST_SEED=<seed>.
 */

/** mulberry32: a small, fast 32-bit PRNG; statistical quality is not needed for picking test cases. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A numeric seed: CAIRN_TEST_SEED if set, else random; printed with how to replay it. */
export function numericTestSeed(label: string): number {
  const seed = Number(process.env.CAIRN_TEST_SEED ?? Math.floor(Math.random() * 2 ** 32));
  console.log(`${label}: seed ${seed} (replay with CAIRN_TEST_SEED=${seed})`);
  return seed;
}
