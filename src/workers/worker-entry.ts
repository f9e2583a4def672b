import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Where to start a worker thread whose entry module is `relative` to src/
 * (e.g. "pipeline/codec-worker"). When the caller runs from src/ (a
 * TypeScript test runner), workers cannot load .ts, so the build in dist/ is
 * used (`npm test` builds first), else the tsx loader.
 */
export function workerEntry(relative: string): { url: URL; execArgv: string[] } {
  const js = new URL(`../${relative}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js, execArgv: [] };
  const built = new URL(`../../dist/src/${relative}.js`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return { url: built, execArgv: [] };
  return { url: new URL(`../${relative}.ts`, import.meta.url), execArgv: ["--import", "tsx"] };
}
