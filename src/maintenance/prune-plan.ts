import type { ReadonlyBlobIndex } from "../repository/blob-index.js";
import type { LoadedIndexView, RepositoryMaintenance } from "../repository/repository-maintenance.js";
import { openIndex, type IndexPack } from "../repository/format/index-file.js";
import type { EntryBits } from "./prune-usage.js";

export interface PlanOptions {
  /** Packs younger than this (store time) are never condemned: a running backup may be about to reference them. */
  graceMs: number;
  /** Repack a pack when more than this share (0..1) of its blob bytes is unused. */
  maxUnused: number;
  maxRepackBytes: number;
  /** Data packs can only be repacked by someone holding the data identity. */
  canRepackData: boolean;
  now: number;
}

export interface PrunePlan {
  /** Packs no snapshot needs (older than the grace period), with their index rows for the mark. */
  condemn: IndexPack[];
  /** Partly used packs to rewrite: their used blobs go to new packs, then they are condemned too. */
  repack: IndexPack[];
  /** Live packs kept as they are (ids). */
  keep: Set<string>;
  /** Blob bytes in kept packs that no snapshot needs (the --max-unused slack and young leftovers). */
  unusedBytesKept: number;
  repackSkippedNoIdentity: number;
  /** Unused packs left alone because they are younger than the grace period. */
  youngUnused: number;
}

interface Candidate {
  pack: IndexPack;
  share: number;
  unusedBytes: number;
}

/**
 * Decide the fate of every live pack from what the snapshots use. A blob
 * counts as used only in the pack the index finds it in (the first copy), so a
 * pack holding only duplicates is unused. Reads each index file once more,
 * one at a time, keeping rows only for packs that will be condemned or repacked.
 */
export async function planPrune(
  repo: RepositoryMaintenance,
  index: LoadedIndexView,
  used: EntryBits,
  packTimes: ReadonlyMap<string, number>,
  o: PlanOptions,
): Promise<PrunePlan> {
  const plan: PrunePlan = {
    condemn: [],
    repack: [],
    keep: new Set(),
    unusedBytesKept: 0,
    repackSkippedNoIdentity: 0,
    youngUnused: 0,
  };
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const key of index.files) {
    for (const p of openIndex(repo.agent, await repo.storage.get(key), key).packs) {
      const packIndex = index.blobs.findPack(p.id);
      if (seen.has(p.id) || packIndex < 0 || index.condemned.has(packIndex)) continue;
      seen.add(p.id);
      const u = packUse(index.blobs, used, p, packIndex);
      const old = o.now - (packTimes.get(p.id) ?? o.now) >= o.graceMs;
      const share = u.unusedBytes / Math.max(1, u.usedBytes + u.unusedBytes);
      if (u.usedBlobs === 0 && old) plan.condemn.push(p);
      else if (u.usedBlobs > 0 && old && share > o.maxUnused)
        candidates.push({ pack: p, share, unusedBytes: u.unusedBytes });
      else {
        if (u.usedBlobs === 0) plan.youngUnused++;
        keep(plan, p.id, u.unusedBytes);
      }
    }
  }
  chooseRepacks(plan, candidates, o);
  return plan;
}

function packUse(
  blobs: ReadonlyBlobIndex,
  used: EntryBits,
  p: IndexPack,
  packIndex: number,
): { usedBlobs: number; usedBytes: number; unusedBytes: number } {
  let usedBlobs = 0;
  let usedBytes = 0;
  let unusedBytes = 0;
  for (const [, id, , length] of p.blobs) {
    const e = blobs.entryOf(id);
    const here = e >= 0 && e < used.size && blobs.locationAt(e).packIndex === packIndex;
    if (here && used.has(e)) {
      usedBlobs++;
      usedBytes += length;
    } else unusedBytes += length;
  }
  return { usedBlobs, usedBytes, unusedBytes };
}

function keep(plan: PrunePlan, id: string, unusedBytes: number): void {
  plan.keep.add(id);
  plan.unusedBytesKept += unusedBytes;
}

/** Most-unused first, within the byte budget; data packs only with the identity. */
function chooseRepacks(plan: PrunePlan, candidates: Candidate[], o: PlanOptions): void {
  let budget = o.maxRepackBytes;
  for (const c of candidates.sort((a, b) => b.share - a.share)) {
    if (c.pack.kind === "data" && !o.canRepackData) {
      plan.repackSkippedNoIdentity++;
      keep(plan, c.pack.id, c.unusedBytes);
    } else if (c.pack.size <= budget) {
      budget -= c.pack.size;
      plan.repack.push(c.pack);
    } else keep(plan, c.pack.id, c.unusedBytes);
  }
}
