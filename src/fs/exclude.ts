import picomatch from "picomatch";
import { UsageError } from "../core/errors.js";
import { excludePatternProblem } from "./exclude-pattern.js";

/**
 * Exclude patterns, restic-style: a pattern without `/` matches any path
 * component (`*.tmp`, `node_modules`); one with `/` matches the absolute path
 * (`/var/cache/**`). A trailing `/` restricts a pattern to directories.
 */
export class ExcludeMatcher {
  private readonly any: ((s: string) => boolean)[] = [];
  private readonly dirsOnly: ((s: string) => boolean)[] = [];

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      const problem = excludePatternProblem(raw);
      if (problem)
        throw new UsageError(problem, { hint: "e.g. --exclude '*.tmp', --exclude cache/, --exclude '/var/cache/**'" });
      const dirOnly = raw.endsWith("/");
      const p = dirOnly ? raw.slice(0, -1) : raw;
      const m = p.includes("/") ? picomatch(p, { dot: true }) : basenameMatcher(p);
      (dirOnly ? this.dirsOnly : this.any).push(m);
    }
  }

  /** False without patterns: callers skip building the path string. */
  get active(): boolean {
    return this.any.length + this.dirsOnly.length > 0;
  }

  excluded(absPath: string, isDir: boolean): boolean {
    if (this.any.some((m) => m(absPath))) return true;
    return isDir && this.dirsOnly.some((m) => m(absPath));
  }
}

function basenameMatcher(p: string): (s: string) => boolean {
  const m = picomatch(p, { dot: true });
  return (s) => m(s.slice(s.lastIndexOf("/") + 1));
}
