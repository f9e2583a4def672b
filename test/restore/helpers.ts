import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** Temp directories under os.tmpdir(), removed after each test. */
export function useTempDirs(): (label?: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (label = "restore") => {
    const d = mkdtempSync(join(tmpdir(), `cairn-${label}-`));
    made.push(d);
    return d;
  };
}

/** Joins a string directory and raw name components into a Buffer path. */
export function bpath(dir: string, ...names: (string | Buffer)[]): Buffer {
  return Buffer.concat([Buffer.from(dir), ...names.flatMap((n) => [Buffer.from("/"), Buffer.from(n)])]);
}
