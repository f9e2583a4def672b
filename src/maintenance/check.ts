import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { CairnError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import { BlobIndex } from "../repository/blob-index.js";
import { BlobReader } from "../repository/blob-reader.js";
import { openIndex } from "../repository/format/index-file.js";
import { addToBlobIndex } from "../repository/blob-index.js";
import {
  CONFIG_KEY,
  DATA_PREFIX,
  idOfKey,
  INDEX_PREFIX,
  isObjectKey,
  META_PREFIX,
  SNAPSHOTS_PREFIX,
  packKey,
} from "../repository/format/layout.js";
import { listMarks } from "../repository/prune-mark.js";
import { PRUNE_PROTOCOL } from "../repository/format/repo-config.js";
import { PackVerifierPool } from "./pack-verifier-pool.js";
import type { Repository } from "../repository/repository.js";
import type { RepositoryMaintenance } from "../repository/repository-maintenance.js";
import { decodeSkeleton } from "../repository/format/skeleton.js";
import { openSnapshot, type Snapshot } from "../repository/format/snapshot-record.js";
import type { CheckProblem, CheckStray } from "./check-problem.js";
import { TreeChecker } from "./check-trees.js";

export type { CheckProblem, CheckStray } from "./check-problem.js";

export interface CheckReport {
  problems: CheckProblem[];
  /** Objects that are not cairn's (docs/FORMAT.md §Layout): a warning, not damage; left alone. */
  strays: CheckStray[];
  objects: number;
  bytesHashed: number;
  snapshots: number;
  packs: number;
  blobsVerified: number;
  /** Data packs whose contents were not decrypted (no identity). */
  dataPacksSkipped: number;
}

export interface CheckOptions {
  readData?: boolean;
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

const STRAY =
  "not a cairn object (its name follows no rule of docs/FORMAT.md §Layout): no cairn command reads, copies into its " +
  "index or deletes it; delete it or move it out of the repository unless you keep it there on purpose";

/**
 * Verify a repository: every content-named object hashes to its name (no key
 * needed), metadata opens with the agent key, every blob a snapshot reaches
 * (walked through skeletons) is indexed in a pack that exists; with
 * `readData`, every pack is decrypted and every blob checked against its ID,
 * and with the identity every tree a snapshot reaches is decoded and judged
 * (TreeChecker). Objects that are not cairn's are listed as strays.
 */
export async function checkRepository(repository: Repository, o: CheckOptions = {}): Promise<CheckReport> {
  const repo = repository.maintenance();
  const r: CheckReport = {
    problems: [],
    strays: [],
    objects: 0,
    bytesHashed: 0,
    snapshots: 0,
    packs: 0,
    blobsVerified: 0,
    dataPacksSkipped: 0,
  };
  // With --read-data every indexed pack is read whole anyway: hash it then, not in a first pass as well.
  const deferred = new Set<string>();
  const stored = await hashEverything(
    repo,
    r,
    o,
    o.readData ? (key) => key.startsWith(DATA_PREFIX) || key.startsWith(META_PREFIX) : () => false,
    deferred,
  );
  checkProtocol(repo, r);
  const snapshots = await loadSnapshots(repo, stored, r);
  // An index of check's own, loaded by its own rules (loadIndexes), not the one backups and reads use.
  const index = new BlobIndex();
  await loadIndexes(repo, index, r, stored);
  const badPacks = checkIndexedPacks(index, stored, r);
  await withReader(repo, index, (reader) => walkSnapshots(reader, index, snapshots, badPacks, r));
  if (o.readData) await readAllPacks(repo, index, { stored, badPacks, deferred }, r, o);
  if (o.readData && repo.dataIdentities)
    await withReader(repo, index, async (reader) => {
      const trees = new TreeChecker(reader, index, r.problems);
      for (const s of snapshots) await trees.checkSnapshot(s);
    });
  // Packs --read-data did not read (unindexed, damaged, or data packs without the identity).
  for (const key of deferred) await hashObject(repo, key, stored.get(key) ?? 0, r, o);
  return r;
}

/**
 * Read skeletons and trees through the index check loaded itself (damaged
 * index files reported and skipped), not through RepositoryMaintenance.readBlob:
 * that would load the repository's index and fail every read on the first
 * damaged index file. One reader per pass, so its cached packs are let go
 * before the next pass reads every pack.
 */
async function withReader(
  repo: RepositoryMaintenance,
  index: BlobIndex,
  fn: (reader: BlobReader) => Promise<void>,
): Promise<void> {
  const reader = new BlobReader(repo.storage, index, repo.agent, repo.dataIdentities);
  try {
    await fn(reader);
  } finally {
    await reader.close();
  }
}

/** docs/RELIABILITY.md invariant 12: a protocol this cairn does not know is one prune refuses. */
function checkProtocol(repo: RepositoryMaintenance, r: CheckReport): void {
  const declared = repo.config.pruneProtocol;
  if (declared !== PRUNE_PROTOCOL)
    r.problems.push({
      kind: "config",
      key: CONFIG_KEY,
      message: `declares prune protocol ${JSON.stringify(declared)}; this cairn prunes only by "${PRUNE_PROTOCOL}", so its prune refuses this repository (backups and restores work): prune with the cairn version that created it`,
    });
}

/**
 * List the whole repository once: hash every content-named object, except
 * those `defer` picks (their keys go to `deferred`), and set stray objects
 * aside. Returns the sizes of cairn's objects by key.
 */
async function hashEverything(
  repo: RepositoryMaintenance,
  r: CheckReport,
  o: CheckOptions,
  defer: (key: string) => boolean,
  deferred: Set<string>,
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const obj of repo.storage.list("", o.signal)) {
    if (!isObjectKey(obj.key)) r.strays.push({ key: obj.key, size: obj.size, message: STRAY });
    if (!isObjectKey(obj.key) || obj.key === CONFIG_KEY) continue; // config is not content-named; open() read it
    r.objects++;
    sizes.set(obj.key, obj.size);
    if (defer(obj.key)) deferred.add(obj.key);
    else await hashObject(repo, obj.key, obj.size, r, o);
  }
  return sizes;
}

async function hashObject(
  repo: RepositoryMaintenance,
  key: string,
  size: number,
  r: CheckReport,
  o: CheckOptions,
): Promise<void> {
  const h = createHash("sha256");
  for await (const part of await repo.storage.getStream(key, o.signal)) h.update(part);
  hashed(r, key, size, h.digest("hex"));
}

function hashed(r: CheckReport, key: string, size: number, sha256: string): void {
  r.bytesHashed += size;
  if (sha256 !== idOfKey(key))
    r.problems.push({
      kind: kindOf(key),
      key,
      message: "stored bytes do not hash to the object's name (bit rot or tampering)",
    });
}

function kindOf(key: string): string {
  return key.startsWith(DATA_PREFIX)
    ? "data pack"
    : key.startsWith(META_PREFIX)
      ? "meta pack"
      : key.slice(0, key.indexOf("/")).replace(/s$/, "");
}

async function loadSnapshots(
  repo: RepositoryMaintenance,
  stored: ReadonlyMap<string, number>,
  r: CheckReport,
): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for (const key of stored.keys()) {
    if (!key.startsWith(SNAPSHOTS_PREFIX)) continue;
    try {
      out.push({ ...openSnapshot(repo.agent, await repo.storage.get(key), key), id: idOfKey(key) });
    } catch (e) {
      r.problems.push({ kind: "snapshot", key, message: errorText(e) });
    }
  }
  r.snapshots = out.length;
  return out;
}

/**
 * Load the index in two passes: packs present in storage first, then the
 * missing ones. The first location of a blob wins, so a blob re-uploaded after
 * its pack was lost is found in its good copy, while missing packs are still
 * in the index to be reported with the snapshots that only they served.
 */
async function loadIndexes(
  repo: RepositoryMaintenance,
  index: BlobIndex,
  r: CheckReport,
  stored: Map<string, number>,
): Promise<void> {
  // Packs a prune condemned but has not deleted yet still serve reads (FORMAT.md §Prune); a damaged mark is a problem to report.
  const marks = await listMarks(repo.storage, repo.agent, undefined, (key, e) =>
    r.problems.push({ kind: "prune mark", key, message: errorText(e) }),
  );
  const superseded = new Set(marks.flatMap((m) => m.body.objects));
  const bodies = [];
  for await (const obj of repo.storage.list(INDEX_PREFIX)) {
    if (superseded.has(obj.key) || !isObjectKey(obj.key)) continue;
    try {
      bodies.push(openIndex(repo.agent, await repo.storage.get(obj.key), obj.key));
    } catch (e) {
      r.problems.push({ kind: "index", key: obj.key, message: `${errorText(e)}${INDEX_DAMAGED}` });
    }
  }
  const present = (p: { kind: "data" | "meta"; id: string }) => stored.has(packKey(p.kind, p.id));
  for (const b of bodies) addToBlobIndex(index, b, present);
  // A condemned pack already deleted (a prune stopped before removing its mark) is not damage: only present ones are added.
  // Rows with blobs first: a row without (condemned as unindexed) has a placeholder header length.
  const rows = marks.flatMap((m) => m.body.packs);
  addToBlobIndex(index, { version: 1, packs: rows.filter((p) => p.blobs.length > 0) }, present);
  addToBlobIndex(index, { version: 1, packs: rows.filter((p) => p.blobs.length === 0) }, present);
  for (const b of bodies) addToBlobIndex(index, b, (p) => !present(p));
}

const INDEX_DAMAGED =
  "; its packs count as unindexed: fetch it again from another copy of the repository (a `cairn sync` target), " +
  "or, if no snapshot here needs a blob that only it lists, delete it";

function checkIndexedPacks(index: BlobIndex, stored: Map<string, number>, r: CheckReport): Set<number> {
  const bad = new Set<number>();
  for (let i = 0; i < index.packCount; i++) {
    const p = index.pack(i);
    const key = packKey(p.kind, p.id);
    const size = stored.get(key);
    if (size === undefined) {
      bad.add(i);
      r.problems.push({ kind: `${p.kind} pack`, key, message: "indexed pack is missing from storage" });
    } else if (size !== p.size) {
      bad.add(i);
      r.problems.push({
        kind: `${p.kind} pack`,
        key,
        message: `size ${size} differs from the indexed ${p.size} (truncated?)`,
      });
    }
  }
  r.packs = index.packCount;
  return bad;
}

/** Walk every snapshot's skeletons; name each unreachable blob and the snapshots that need it. */
async function walkSnapshots(
  reader: BlobReader,
  index: BlobIndex,
  snaps: Snapshot[],
  badPacks: Set<number>,
  r: CheckReport,
): Promise<void> {
  const missing = new Map<string, CheckProblem>();
  const report = (id: string, snap: string, message: string) => {
    const p = missing.get(id) ?? { kind: "blob", key: id, message, snapshots: [] };
    if (!p.snapshots!.includes(snap)) p.snapshots!.push(snap);
    missing.set(id, p);
  };
  const usable = (id: BlobId, snap: string): boolean => {
    const loc = index.get(id);
    if (!loc) report(id, snap, "referenced but not in any index");
    else if (badPacks.has(loc.packIndex))
      report(id, snap, `its pack ${index.pack(loc.packIndex).id} is missing or damaged`);
    return !!loc && !badPacks.has(loc.packIndex);
  };
  await walkSkeletons(reader, snaps, usable, report);
  r.problems.push(...missing.values());
}

async function walkSkeletons(
  reader: BlobReader,
  snaps: Snapshot[],
  usable: (id: BlobId, snapshot: string) => boolean,
  report: (id: string, snapshot: string, message: string) => void,
): Promise<void> {
  for (const s of snaps) {
    const seen = new Set<string>();
    const stack = [s.skeleton];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id) || !usable(id, s.id)) continue;
      seen.add(id);
      try {
        const sk = decodeSkeleton(await reader.read(id), id);
        usable(sk.tree, s.id);
        for (const d of sk.data) usable(d, s.id);
        stack.push(...sk.children);
      } catch (e) {
        report(id, s.id, `skeleton unreadable: ${errorText(e)}`);
      }
    }
  }
}

/** Packs fetched or being verified at once: two per worker keeps both busy while the next ones load. */
const PACKS_IN_FLIGHT_PER_WORKER = 2;

/** What the passes before --read-data found: object sizes by key, indexed packs found bad, objects not hashed yet. */
interface Found {
  stored: ReadonlyMap<string, number>;
  badPacks: ReadonlySet<number>;
  deferred: Set<string>;
}

/** Verify every indexed pack on the workers; each pack read is also hashed there and taken out of `deferred`. */
async function readAllPacks(
  repo: RepositoryMaintenance,
  index: BlobIndex,
  { stored, badPacks, deferred }: Found,
  r: CheckReport,
  o: CheckOptions,
): Promise<void> {
  const total = index.packCount;
  const todo: number[] = [];
  for (let i = 0; i < total; i++) {
    const p = index.pack(i);
    if (badPacks.has(i) || !stored.has(packKey(p.kind, p.id))) continue;
    if (p.kind === "data" && !repo.dataIdentities) r.dataPacksSkipped++;
    else todo.push(i);
  }
  if (todo.length === 0) return;
  const workers = Math.max(1, Math.min(availableParallelism(), todo.length));
  const pool = new PackVerifierPool(workers, repo.agent.exportBlobIdKey(), {
    data: repo.dataIdentities ?? [],
    meta: [repo.agent.identity],
  });
  let next = 0;
  let done = 0;
  const run = async (): Promise<void> => {
    while (next < todo.length) {
      const p = index.pack(todo[next++]!);
      const key = packKey(p.kind, p.id);
      try {
        const file = await repo.storage.get(key, undefined, o.signal);
        const size = file.byteLength;
        const v = await pool.verify(p.kind, key, file);
        // A damaged pack stays deferred and is hashed again below: rare, and its hash result matters.
        if (deferred.delete(key)) hashed(r, key, size, v.sha256);
        r.blobsVerified += v.blobsVerified;
        for (const id of v.badBlobs)
          r.problems.push({ kind: "blob", key: `${id} in ${key}`, message: "content does not match its id" });
      } catch (e) {
        if (o.signal?.aborted) throw e;
        r.problems.push({ kind: `${p.kind} pack`, key, message: errorText(e) });
      }
      o.onProgress?.(++done, todo.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: workers * PACKS_IN_FLIGHT_PER_WORKER }, run));
  } finally {
    await pool.close();
  }
}

function errorText(e: unknown): string {
  return e instanceof CairnError || e instanceof Error ? e.message : String(e);
}
