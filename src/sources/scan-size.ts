import { lstat, readdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { ExcludeMatcher } from "./exclude.js";

/**
 * Total size of the regular files under `paths` (excludes honoured), for the
 * progress display's ETA. Runs beside the backup on a terminal only; errors
 * are ignored (the backup reports them), and it stops when `signal` aborts.
 */
export async function scanSize(paths: readonly string[], excludes: ExcludeMatcher, signal?: AbortSignal): Promise<number> {
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    if (signal?.aborted) return;
    const st = await lstat(p).catch(() => undefined);
    if (!st || excludes.excluded(p, st.isDirectory())) return;
    if (st.isFile()) total += st.size;
    if (!st.isDirectory()) return;
    const names = await readdir(p).catch(() => [] as string[]);
    for (const n of names) await walk(p === "/" ? `/${n}` : `${p}/${n}`);
  };
  for (const p of paths) await walk(resolve(p));
  return total;
}
