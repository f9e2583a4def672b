import { RepositoryError, UsageError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import type { IndexPack } from "../repository/format/index-file.js";
import { DATA_PREFIX, idOfKey, isObjectKey, META_PREFIX, packKey } from "../repository/format/layout.js";
import { emptyMark, writeMark, type PruneMark } from "../repository/prune-mark.js";
import { deleteAllUnlessLocked, deleteUnlessLocked, rewriteIndex, writeIndexFile } from "./prune-index.js";
import { planPrune, type PrunePlan } from "./prune-plan.js";
import { repackPacks } from "./prune-repack.js";
import { findUsedBlobs, type Usage } from "./prune-usage.js";
import { canExtendRetention, extendLiveRetention } from "./prune-lock.js";
import { refuseClockSkew } from "./prune-clock.js";
import { PRUNE_PROTOCOL } from "../repository/format/repo-config.js";
import type { ReadonlyBlobIndex } from "../repository/blob-index.js";
import type { Repository } from "../repository/repository.js";
import type { LoadedIndexView, RepositoryMaintenance } from "../repository/repository-maintenance.js";

/** Longer than any backup should take (FORMAT.md §Prune): condemned packs wait this long before deletion. */
export const DEFAULT_GRACE_MS = 24 * 3_600_000;
/** Below this many index files, a prune that changes nothing does not bother consolidating them. */
const CONSOLIDATE_INDEX_FILES = 32;

export interface PruneOptions {
  dryRun?: boolean;
  graceMs?: number;
  /** Repack packs with more than this share (0..1) unused. Default 0.05. */
  maxUnused?: number;
  maxRepackBytes?: number;
  /** Allow a prune that leaves no live pack at all. */
  force?: boolean;
  /**
   * On a store with Object Lock: extend the retention of everything kept
   * snapshots need to now + this, so the repository stays protected as long as
   * its policy keeps snapshots. Ignored on stores without it.
   */
  lockExtendMs?: number;
  signal?: AbortSignal;
}

/** What a prune did; the agent exports `bytesFreed` as cairn_prune_bytes_freed_total. */
export interface PruneResult {
  dryRun: boolean;
  snapshots: number;
  /** Phase 2: packs of expired marks deleted now, and their bytes. */
  packsDeleted: number;
  bytesFreed: number;
  /** Condemned packs put back into the index because a snapshot committed since needs them. */
  packsRevived: number;
  /** Deletions the store refused (object lock); recorded in a new mark for a later prune. */
  deletionsDeferred: number;
  /** Phase 1: packs condemned now (deleted by a prune after the grace period), and their bytes. */
  packsMarked: number;
  bytesMarked: number;
  packsRepacked: number;
  blobsRepacked: number;
  bytesRepackWritten: number;
  /** Partly unused data packs left alone: repacking them needs the data identity. */
  repackSkippedNoIdentity: number;
  youngUnusedPacks: number;
  /** Marks still waiting for their grace period. */
  marksPending: number;
  /** Objects whose Object Lock retention was extended. */
  retentionExtended: number;
  /** Live packs and their bytes after this prune (condemned ones excluded), and how many of those bytes are unused. */
  packsLeft: number;
  bytesLeft: number;
  unusedBytesLeft: number;
  /** The store's clock minus this host's, beyond measuring error (0: they agree); not measured by a dry run. */
  clockSkewMs: number;
}

/**
 * Prune (FORMAT.md §Prune): two-phase deletion, safe while other hosts back
 * up. Phase 2 first: marks older than their grace period are finished — each
 * condemned pack a snapshot still needs is put back into the index, the rest
 * deleted. Phase 1 then condemns what no snapshot needs now: unused packs
 * older than the grace period, and partly used packs after their used blobs
 * are repacked; the index is rewritten without them and a new mark written.
 * Nothing is ever deleted in the run that condemned it. Needs only the agent
 * key (repacking data packs also needs the identity).
 */
export async function prune(repository: Repository, o: PruneOptions = {}): Promise<PruneResult> {
  const repo = repository.maintenance();
  refuseOtherProtocol(repo);
  const graceMs = o.graceMs ?? DEFAULT_GRACE_MS;
  // Every age below is a store time judged by this host's clock: refuse when the two disagree too much.
  const clockSkewMs = o.dryRun ? 0 : (await refuseClockSkew(repo.storage, repo.agent, repo.clock, graceMs)).skewMs;
  // Order (FORMAT.md §Prune): marks, judge expiry, snapshots, then the index. Every snapshot
  // committed before a mark expired is in the list, and every blob a listed snapshot needs is
  // in an index file written before it, so in the index loaded after it.
  const marks = await repo.loadMarks(o.signal);
  const now = repo.clock.now().getTime();
  const expired = marks.filter((m) => now - m.mtime.getTime() >= Math.max(m.body.graceMs, graceMs));
  const snapshots = await repo.listSnapshots(o.signal);
  const index = await repo.loadIndex(o.signal);
  refuseOnDamage(index);
  const usage = await findUsedBlobs(repo, index.blobs, snapshots, o.signal);
  const r = emptyResult(o.dryRun === true, snapshots.length, marks.length - expired.length);
  r.clockSkewMs = clockSkewMs;
  const phase2 = phase2Context(marks, expired, usage, r, o.dryRun === true);
  for (const m of expired) await finishMark(repo, index, m, phase2);
  const stored = await listPacks(repo, o.signal);
  const packTimes = new Map([...stored].map(([id, p]) => [id, p.mtime]));
  const plan = await planPrune(repo, index, usage.used, packTimes, {
    graceMs,
    maxUnused: o.maxUnused ?? 0.05,
    maxRepackBytes: o.maxRepackBytes ?? Infinity,
    canRepackData: repo.dataIdentities !== undefined,
    now,
  });
  const unindexed = unindexedPacks(index, stored, now, graceMs);
  if (plan.keep.size === 0 && plan.condemn.length + plan.repack.length + unindexed.length > 0 && !o.force) {
    throw new UsageError(
      `this prune would condemn every pack in ${repo.storage.name} (${snapshots.length} snapshots remain)`,
      { hint: "check the retention policy; pass --force if the repository really should be emptied" },
    );
  }
  if (!o.dryRun) await markPhase(repo, index, plan, unindexed, usage, r, { graceMs, now, signal: o.signal });
  summarise(r, plan, unindexed, index.blobs);
  if (!o.dryRun && o.lockExtendMs !== undefined && canExtendRetention(repo.storage)) {
    const live = [...plan.keep].map((id) => index.blobs.pack(index.blobs.findPack(id)));
    r.retentionExtended = await extendLiveRetention(repo.storage, live, new Date(now + o.lockExtendMs), o.signal);
  }
  return r;
}

function refuseOnDamage(index: LoadedIndexView): void {
  const w = index.damaged[0];
  if (w)
    throw new RepositoryError(`refusing to prune: ${w.kind} ${w.key} is damaged (${w.message})`, {
      hint:
        "prune needs an intact index to know what is in use: fetch that object again from another copy of the " +
        "repository (a `cairn sync` target); if there is none and `cairn check` names no snapshot needing a blob " +
        "that only it lists, delete it (its packs then count as unindexed) and prune again",
    });
}

/**
 * docs/RELIABILITY.md invariant 12: the repository declares the protocol its prunes
 * and backups follow (docs/FORMAT.md §Prune); this cairn knows one, and
 * deleting by another's rules could race its backups.
 */
function refuseOtherProtocol(repo: RepositoryMaintenance): void {
  const declared = repo.config.pruneProtocol;
  if (declared !== PRUNE_PROTOCOL)
    throw new RepositoryError(
      `refusing to prune ${repo.storage.name}: it declares prune protocol ${JSON.stringify(declared)}, and this cairn prunes only by "${PRUNE_PROTOCOL}"`,
      { hint: "prune it with the cairn version that created it (or a newer one); backups and restores still work" },
    );
}

function emptyResult(dryRun: boolean, snapshots: number, marksPending: number): PruneResult {
  return {
    dryRun,
    snapshots,
    packsDeleted: 0,
    bytesFreed: 0,
    packsRevived: 0,
    deletionsDeferred: 0,
    packsMarked: 0,
    bytesMarked: 0,
    packsRepacked: 0,
    blobsRepacked: 0,
    bytesRepackWritten: 0,
    repackSkippedNoIdentity: 0,
    youngUnusedPacks: 0,
    marksPending,
    retentionExtended: 0,
    packsLeft: 0,
    bytesLeft: 0,
    unusedBytesLeft: 0,
    clockSkewMs: 0,
  };
}

/** Whether a snapshot needs a blob whose copy the index serves from this pack. */
function neededFrom(blobs: ReadonlyBlobIndex, usage: Usage, p: IndexPack, packIndex: number): boolean {
  return p.blobs.some(([, id]) => {
    const e = blobs.entryOf(id);
    return e >= 0 && e < usage.used.size && usage.used.has(e) && blobs.locationAt(e).packIndex === packIndex;
  });
}

interface Phase2Context {
  usage: Usage;
  r: PruneResult;
  dryRun: boolean;
  /** Packs a mark still in its grace period condemns too: that mark decides, later. */
  pending: ReadonlySet<string>;
  /** Each condemned pack's index row with its blobs, from whichever mark has them. */
  rows: ReadonlyMap<string, IndexPack>;
  /** Packs already revived or deleted by this run (several expired marks may list one). */
  handled: Set<string>;
}

function phase2Context(
  marks: readonly PruneMark[],
  expired: readonly PruneMark[],
  usage: Usage,
  r: PruneResult,
  dryRun: boolean,
): Phase2Context {
  const pending = new Set(marks.filter((m) => !expired.includes(m)).flatMap((m) => m.body.packs.map((p) => p.id)));
  const rows = new Map<string, IndexPack>();
  for (const p of marks.flatMap((m) => m.body.packs)) if (!rows.has(p.id) || p.blobs.length > 0) rows.set(p.id, p);
  return { usage, r, dryRun, pending, rows, handled: new Set() };
}

/**
 * Phase 2 for one expired mark. Order: index entries for revived packs, then
 * deletions, then a mark for deletions the store refused, then the mark
 * itself; a crash anywhere leaves the mark, and the next prune repeats the
 * (idempotent) steps.
 *
 * A pack that a younger mark condemns as well is left to that mark: a backup
 * may have committed against the pack within the younger mark's half grace
 * period, and only a prune after its whole grace period is sure to see that
 * snapshot. (It happens when a pack first condemned as unindexed is indexed
 * by its slow backup and then condemned again, with its blobs.) The revive
 * decision uses the row that lists the pack's blobs, never an empty one.
 */
async function finishMark(
  repo: RepositoryMaintenance,
  index: LoadedIndexView,
  m: PruneMark,
  c: Phase2Context,
): Promise<void> {
  const { r } = c;
  const revive: IndexPack[] = [];
  const remove: IndexPack[] = [];
  for (const p of m.body.packs) {
    const packIndex = index.blobs.findPack(p.id);
    if (packIndex < 0 || c.handled.has(p.id)) continue; // already deleted
    if (!index.condemned.has(packIndex)) continue; // marked unindexed, indexed since by the backup that wrote it: live
    if (c.pending.has(p.id)) continue;
    c.handled.add(p.id);
    const row = c.rows.get(p.id) ?? p;
    (neededFrom(index.blobs, c.usage, row, packIndex) ? revive : remove).push(row);
  }
  r.packsRevived += revive.length;
  if (c.dryRun) {
    r.packsDeleted += remove.length;
    r.bytesFreed += remove.reduce((n, p) => n + p.size, 0);
    return;
  }
  if (revive.length > 0) await writeIndexFile(repo.storage, repo.agent, revive);
  const lockedPacks = await deleteAllUnlessLocked(
    repo.storage,
    remove.map((p) => packKey(p.kind, p.id)),
  );
  const left = { packs: remove.filter((p) => lockedPacks.has(packKey(p.kind, p.id))), objects: [] as string[] };
  for (const p of remove) {
    if (lockedPacks.has(packKey(p.kind, p.id))) continue;
    r.packsDeleted++;
    r.bytesFreed += p.size;
  }
  // Packs first, then the superseded index files, then the mark: a crash in between repeats the rest.
  const lockedObjects = await deleteAllUnlessLocked(repo.storage, m.body.objects);
  left.objects = m.body.objects.filter((key) => lockedObjects.has(key));
  r.deletionsDeferred += left.packs.length + left.objects.length;
  if (left.packs.length + left.objects.length > 0)
    await writeMark(repo.storage, repo.agent, emptyMark(repo.clock.now(), m.body.graceMs, left.packs, left.objects));
  if (!(await deleteUnlessLocked(repo.storage, m.key))) r.deletionsDeferred++;
}

interface StoredPack {
  kind: "data" | "meta";
  size: number;
  /** Store time (ms). */
  mtime: number;
}

async function listPacks(repo: RepositoryMaintenance, signal?: AbortSignal): Promise<Map<string, StoredPack>> {
  const out = new Map<string, StoredPack>();
  for (const kind of ["data", "meta"] as const) {
    for await (const o of repo.storage.list(kind === "data" ? DATA_PREFIX : META_PREFIX, signal))
      // A stray object (FORMAT.md §Layout) is not a pack: never condemned, never deleted.
      if (isObjectKey(o.key)) out.set(idOfKey(o.key), { kind, size: o.size, mtime: o.mtime.getTime() });
  }
  return out;
}

/**
 * Packs in storage that no index file and no mark lists: left by a backup
 * killed between uploading them and writing their index. Condemned (with no
 * blob list) once older than the grace period; a backup still running past
 * that fails its commit check instead of referencing them.
 */
function unindexedPacks(
  index: LoadedIndexView,
  stored: ReadonlyMap<string, StoredPack>,
  now: number,
  graceMs: number,
): IndexPack[] {
  const out: IndexPack[] = [];
  for (const [id, p] of stored) {
    // size must be positive in the index row schema; an empty file is damage anyway.
    // An index file listing it, even one whose packs looked missing when the index was loaded, is evidence enough: not unindexed.
    if (index.blobs.findPack(id) < 0 && !index.indexedButMissing.has(id) && now - p.mtime >= graceMs)
      out.push({ id, kind: p.kind, size: Math.max(1, p.size), headerLength: 1, blobs: [] });
  }
  return out;
}

interface MarkContext {
  graceMs: number;
  now: number;
  signal?: AbortSignal;
}

/**
 * Phase 1. Order (each step safe to interrupt): repacked copies uploaded and
 * indexed; new index files listing the live packs; the mark condemning the
 * rest and superseding the old index files; then the old index files deleted.
 */
async function markPhase(
  repo: RepositoryMaintenance,
  index: LoadedIndexView,
  plan: PrunePlan,
  unindexed: IndexPack[],
  usage: Usage,
  r: PruneResult,
  c: MarkContext,
): Promise<void> {
  const condemn = [...plan.condemn, ...plan.repack, ...unindexed];
  const consolidate = index.files.length > CONSOLIDATE_INDEX_FILES;
  if (condemn.length === 0 && !consolidate) return;
  const { blobs } = index;
  const usedHere = (id: BlobId, packId: string) => {
    const e = blobs.entryOf(id);
    return (
      e >= 0 && e < usage.used.size && usage.used.has(e) && blobs.pack(blobs.locationAt(e).packIndex).id === packId
    );
  };
  const s = await repackPacks(repo, plan.repack, usedHere, c.signal);
  r.packsRepacked = s.packs;
  r.blobsRepacked = s.blobs;
  r.bytesRepackWritten = s.bytesWritten;
  const drop = new Set([...condemn.map((p) => p.id), ...[...index.condemned].map((i) => blobs.pack(i).id)]);
  await rewriteIndex(repo.storage, repo.agent, index.files, drop);
  await writeMark(repo.storage, repo.agent, emptyMark(new Date(c.now), c.graceMs, condemn, [...index.files]));
  await deleteAllUnlessLocked(repo.storage, index.files);
}

function summarise(r: PruneResult, plan: PrunePlan, unindexed: IndexPack[], blobs: ReadonlyBlobIndex): void {
  const condemned = [...plan.condemn, ...plan.repack, ...unindexed];
  r.packsMarked = condemned.length;
  r.bytesMarked = condemned.reduce((n, p) => n + p.size, 0);
  r.repackSkippedNoIdentity = plan.repackSkippedNoIdentity;
  r.youngUnusedPacks = plan.youngUnused;
  r.packsLeft = plan.keep.size;
  for (const id of plan.keep) r.bytesLeft += blobs.pack(blobs.findPack(id)).size;
  r.unusedBytesLeft = plan.unusedBytesKept;
}
