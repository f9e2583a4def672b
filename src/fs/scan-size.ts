import { lstat, readdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { ExcludeMatcher } from "./exclude.js";

/** Directory entries stat'ed at once: the scan must finish early to be useful for an ETA. */
const PARALLEL = 16;

/**
 * Total size of the regular files under `paths` (excludes honoured), for the
 * progress display's ETA. Runs beside the backup on a terminal only; errors
 * are ignored (the backup reports them), and it stops when `signal` aborts.
 */
export async function scanSize(
  paths: readonly string[],
  excludes: ExcludeMatcher,
  signal?: AbortSignal,
): Promise<number> {
  let total = 0;
  const queue = paths.map((p) => resolve(p));
  let active = 0;
  return new Promise((done) => {
    const pump = () => {
      if (signal?.aborted || (queue.length === 0 && active === 0)) return done(total);
      while (active < PARALLEL && queue.length > 0) {
        active++;
        visit(queue.pop()!).finally(() => {
          active--;
          pump();
        });
      }
    };
    const visit = async (p: string) => {
      const st = await lstat(p).catch(() => undefined);
      if (!st || excludes.excluded(p, st.isDirectory())) return;
      if (st.isFile()) total += st.size;
      if (!st.isDirectory()) return;
      for (const n of await readdir(p).catch(() => [] as string[])) queue.push(p === "/" ? `/${n}` : `${p}/${n}`);
    };
    pump();
  });
}
