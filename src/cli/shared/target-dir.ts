import { mkdirSync, statSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserFileError } from "../../core/errors.js";

/**
 * Makes sure `target` is a directory, creating it and any missing parents
 * one level at a time (as `mkdir -p` does), so that a target that is a file,
 * sits under a file, or lies where nothing can be created is a usage error
 * naming `flag` before anything is restored. Single levels also fail at once
 * where a recursive mkdir never returns (under /proc on Node 20).
 */
export function prepareTargetDir(target: string, flag = "--target"): void {
  const full = resolve(target);
  const fail = (e: unknown, at: string): never => {
    throw new UserFileError(
      flag,
      { verb: "use", thing: "restore target" },
      at === full ? target : `${target} (at ${at})`,
      e,
      `give ${flag} a directory, or a path where one can be created`,
    );
  };
  const missing: string[] = [];
  for (let p = full; ; p = dirname(p)) {
    const st = statOrUndefined(p, fail);
    if (st?.isDirectory()) break;
    if (st)
      fail(
        p === full ? new Error("it is a file, not a directory") : Object.assign(new Error(), { code: "ENOTDIR" }),
        p,
      );
    missing.push(p);
    if (p === dirname(p)) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") fail(e, p);
    }
  }
}

function statOrUndefined(p: string, fail: (e: unknown, at: string) => never): Stats | undefined {
  try {
    return statSync(p);
  } catch (e) {
    // ENOTDIR: a parent is a file; the walk up finds it and names it.
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? undefined : fail(e, p);
  }
}
