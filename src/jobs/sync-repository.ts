import { realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { IntegrityError, UsageError } from "../core/errors.js";
import { CONFIG_KEY, expectedSha256, writePhaseOf } from "../repository/format/layout.js";
import type { Storage } from "../storage/storage.js";
import { syncStorage, type SyncReport } from "../storage/sync.js";

export interface SyncRepositoryOptions {
  concurrency?: number;
  signal?: AbortSignal;
  /** Names the source in errors ("--from", "repository app"); defaults to the storage's name. */
  fromLabel?: string;
  /** What to tell the user when `from` holds no repository. */
  noRepositoryHint?: string;
}

/**
 * Copy every object of the repository in `from` that `to` lacks, in the
 * repository's write order and verified by hash (needs no key): what `cairn
 * sync` and an agent's sync job share. Throws when `from` holds no
 * repository; damaged source objects are left out and listed in the report.
 */
export async function syncRepository(from: Storage, to: Storage, o: SyncRepositoryOptions = {}): Promise<SyncReport> {
  await refuseNested(from, to);
  if (!(await from.head(CONFIG_KEY))) {
    throw new UsageError(`${o.fromLabel ?? from.name} holds no repository (no config object)`, {
      hint: o.noRepositoryHint ?? "check the source location",
    });
  }
  return syncStorage(from, to, { phase: writePhaseOf, expectedSha256, concurrency: o.concurrency, signal: o.signal });
}

/** The error for a sync that left damaged source objects behind (after the report was shown). */
export function damagedSourceError(report: SyncReport, hint: string): IntegrityError | undefined {
  if (report.problems.length === 0) return undefined;
  return new IntegrityError(
    "object",
    report.problems[0].key,
    `${report.problems.length} damaged source object(s) not copied`,
    { hint },
  );
}

/** Where a storage keeps its objects: a real directory, or a bucket (container) and the prefix inside it. */
interface Place {
  scheme: string;
  bucket: string;
  /** Path components below the bucket or the file-system root. */
  parts: string[];
}

/**
 * Refuse a target inside the source repository, a source inside the target,
 * or the two the same: each copy would list its own output among the source's
 * objects (stray objects under its prefixes, docs/FORMAT.md §Layout) and grow
 * on every run. Judged on the storages' names (`local:/path` with symlinks
 * resolved, `s3://bucket/prefix`, `azure://container/prefix`); two stores
 * that happen to use one bucket name are taken for one, since the name does
 * not say which endpoint it is on.
 */
async function refuseNested(from: Storage, to: Storage): Promise<void> {
  const [a, b] = await Promise.all([placeOf(from.name), placeOf(to.name)]);
  if (!a || !b || a.scheme !== b.scheme || a.bucket !== b.bucket) return;
  const within = (inner: Place, outer: Place) => outer.parts.every((p, i) => inner.parts[i] === p);
  const hint = "sync to a location outside the source repository, e.g. a sibling directory or prefix";
  if (within(a, b) && within(b, a))
    throw new UsageError(`refusing to sync ${from.name} to itself: both name the same location`, { hint });
  if (within(b, a))
    throw new UsageError(`refusing to sync: the target ${to.name} is inside the source ${from.name}`, { hint });
  if (within(a, b))
    throw new UsageError(`refusing to sync: the source ${from.name} is inside the target ${to.name}`, { hint });
}

async function placeOf(name: string): Promise<Place | undefined> {
  const cloud = /^(s3|azure):\/\/([^/]+)\/?(.*)$/.exec(name);
  if (cloud) return { scheme: cloud[1], bucket: cloud[2], parts: cloud[3].split("/").filter((p) => p !== "") };
  if (!name.startsWith("local:")) return undefined;
  const path = await realPathOf(name.slice("local:".length));
  return { scheme: "local", bucket: "", parts: path.split("/").filter((p) => p !== "") };
}

/** The real path of `path`, which may not exist yet (a new sync target): its nearest existing ancestor resolved. */
async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await realPathOf(parent), basename(path));
  }
}
