/**
 * Deterministic text that compresses well but is not periodic, so the
 * chunker finds cut points in it (a repeated pattern would give either none
 * or identical chunks): words picked by an xorshift generator, with numbered
 * line ends. Exactly `bytes` long; different seeds give different text.
 */
export function wordyText(bytes: number, seed = 0x9e3779b9): Buffer {
  const words = [
    "granite",
    "cairn",
    "offsite",
    "restore",
    "ledger",
    "bracken",
    "summit",
    "drizzle",
    "lantern",
    "orchard",
    "quartz",
    "meadow",
  ];
  let x = seed >>> 0 || 1;
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const w = `${words[x % words.length]}${x % 7 === 0 ? `-${x % 1000}\n` : " "}`;
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join("")).subarray(0, bytes);
}
