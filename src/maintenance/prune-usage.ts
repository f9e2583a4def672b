import { IntegrityError, RepositoryError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import type { ReadonlyBlobIndex } from "../repository/blob-index.js";
import type { RepositoryMaintenance } from "../repository/repository-maintenance.js";
import { decodeSkeleton } from "../repository/format/skeleton.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";

/** One bit per index entry (BlobIndex.entryOf): about 1 bit per blob instead of a set of 64-character strings. */
export class EntryBits {
  private readonly bits: Uint8Array;
  constructor(readonly size: number) {
    this.bits = new Uint8Array((size >>> 3) + 1);
  }
  has(e: number): boolean {
    return (this.bits[e >>> 3] & (1 << (e & 7))) !== 0;
  }
  set(e: number): void {
    this.bits[e >>> 3] |= 1 << (e & 7);
  }
}

export interface Usage {
  /** Index entries some snapshot needs. */
  used: EntryBits;
  usedBlobs: number;
}

/**
 * Walk every snapshot's skeletons (FORMAT.md §Skeletons) with the agent key
 * alone and mark every blob they reach: trees, skeletons, data. A skeleton
 * shared by several snapshots is read once. A reachable blob missing from the
 * index stops the prune: deleting on an incomplete picture could lose data.
 */
export async function findUsedBlobs(
  repo: RepositoryMaintenance,
  index: ReadonlyBlobIndex,
  snapshots: readonly Snapshot[],
  signal?: AbortSignal,
): Promise<Usage> {
  const used = new EntryBits(index.size);
  let usedBlobs = 0;
  const mark = (id: BlobId, snap: Snapshot): boolean => {
    const e = index.entryOf(id);
    if (e < 0)
      throw new RepositoryError(`snapshot ${snap.id} references blob ${id}, which no index lists; refusing to prune`, {
        hint: "run `cairn check` to find the damage; a new backup re-uploads missing data",
      });
    if (used.has(e)) return false;
    used.set(e);
    usedBlobs++;
    return true;
  };
  for (const s of snapshots) {
    const stack: BlobId[] = [s.skeleton];
    while (stack.length > 0) {
      signal?.throwIfAborted();
      const id = stack.pop()!;
      if (!mark(id, s)) continue;
      const sk = await readSkeleton(repo, id, s);
      mark(sk.tree, s);
      for (const d of sk.data) mark(d, s);
      stack.push(...sk.children);
    }
  }
  return { used, usedBlobs };
}

async function readSkeleton(repo: RepositoryMaintenance, id: BlobId, s: Snapshot) {
  try {
    return decodeSkeleton(await repo.readBlob(id), id);
  } catch (e) {
    if (e instanceof IntegrityError)
      throw new RepositoryError(`snapshot ${s.id}: skeleton ${id} is unreadable (${e.message}); refusing to prune`, {
        hint: "run `cairn check --read-data` to find the damage",
        cause: e,
      });
    throw e;
  }
}
