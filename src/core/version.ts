import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * cairn's version, read from the package's own package.json: the one place it
 * is written. This module runs from src/core (tests), dist/src/core (the
 * library) or a chunk of dist/bundle (the CLI), so it looks upwards for the
 * package.json named "cairn" rather than at a fixed depth.
 */
export const VERSION: string = findVersion(dirname(fileURLToPath(import.meta.url)));

/** What snapshot records name as their writer (FORMAT.md §Snapshots, `program`). */
export const PROGRAM = `cairn ${VERSION}`;

function findVersion(dir: string): string {
  for (;;) {
    const manifest = readManifest(join(dir, "package.json"));
    if (manifest?.name === "cairn" && typeof manifest.version === "string") return manifest.version;
    const up = dirname(dir);
    // Not installed as a package (a copied bundle): still runs, and says so where the version is shown.
    if (up === dir) return "unknown";
    dir = up;
  }
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
