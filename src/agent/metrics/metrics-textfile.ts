import { rm, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Write metrics for node_exporter's textfile collector: to a temporary file
 * in the same directory, then renamed over `path`, so the collector (which
 * reads every `*.prom` file there on each scrape) never sees half a file. The
 * temporary name starts with a dot and does not end in `.prom`, so it is
 * never read itself.
 */
export async function writeMetricsTextfile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
