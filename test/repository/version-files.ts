import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Replace `dir` with files f0..f{files-1} of version `v`: distinct,
 * incompressible-ish content per (file, version). The first `keep` files keep
 * version 1's content, so a backup of them deduplicates against older ones.
 */
export function writeVersionFiles(dir: string, v: number, files = 4, keep = 0): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    const w = i < keep ? 1 : v;
    writeFileSync(
      join(dir, `f${i}`),
      Buffer.alloc(20_000 + i * 1000).map((_, k) => (k * 7919 + w * 104729 + i * 31) % 251),
    );
  }
}
