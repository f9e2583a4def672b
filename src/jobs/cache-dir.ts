import { homedir } from "node:os";
import { join } from "node:path";

/** The cache root: the configured one (agent.cache_dir, --cache-dir), else $CAIRN_CACHE_DIR, else $XDG_CACHE_HOME/cairn, else ~/.cache/cairn. */
export function cacheRoot(configured?: string): string {
  if (configured) return configured;
  if (process.env.CAIRN_CACHE_DIR) return process.env.CAIRN_CACHE_DIR;
  return process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "cairn") : join(homedir(), ".cache", "cairn");
}

/** One subdirectory of the cache root per repository id (FORMAT.md §Local cache). */
export function repositoryCacheDir(root: string, repoId: string): string {
  return join(root, repoId);
}
