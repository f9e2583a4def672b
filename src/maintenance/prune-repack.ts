import { IntegrityError } from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import { ageDecrypt } from "../crypto/age-file.js";
import { decompressBlob } from "../compression/zstd.js";
import type { IndexPack } from "../repository/format/index-file.js";
import { packKey } from "../repository/format/layout.js";
import type { RepositoryMaintenance } from "../repository/repository-maintenance.js";

export interface RepackStats {
  packs: number;
  blobs: number;
  /** Bytes of the packs that were rewritten (they are condemned afterwards). */
  bytesRead: number;
  bytesWritten: number;
}

/**
 * Copy the used blobs of `packs` into new packs, written and indexed like a
 * backup's (packs first, then their index files), so the old packs hold
 * nothing needed any more. Each blob is checked against its keyed ID before it
 * is copied: repacking never launders damage into a fresh pack. Meta packs
 * open with the agent key; data packs need the data identity.
 */
export async function repackPacks(
  repo: RepositoryMaintenance,
  packs: readonly IndexPack[],
  usedHere: (blob: BlobId, packId: string) => boolean,
  signal?: AbortSignal,
): Promise<RepackStats> {
  const stats: RepackStats = { packs: 0, blobs: 0, bytesRead: 0, bytesWritten: 0 };
  if (packs.length === 0) return stats;
  // Nothing is deduplicated against the old copies, which are about to be condemned.
  const up = repo.freshUploader(packs.some((p) => p.kind === "data"));
  try {
    for (const p of packs) {
      signal?.throwIfAborted();
      const key = packKey(p.kind, p.id);
      const identities = p.kind === "meta" ? [repo.agent.identity] : repo.dataIdentities;
      if (!identities) throw new IntegrityError(`${p.kind} pack`, key, "cannot be repacked without the data identity");
      const plain = ageDecrypt(await repo.storage.get(key, undefined, signal), identities, key);
      stats.bytesRead += p.size;
      for (const [type, id, offset, length, rawLength, compressed] of p.blobs) {
        if (!usedHere(id, p.id)) continue;
        if (offset + length > plain.byteLength)
          throw new IntegrityError("blob", `${id} in ${key}`, "lies beyond the end of its pack");
        const stored = plain.subarray(offset, offset + length);
        const raw = compressed ? decompressBlob(stored, rawLength, key) : Buffer.from(stored);
        if (repo.agent.blobId(type, raw) !== id)
          throw new IntegrityError("blob", `${id} in ${key}`, "content does not match its id; not repacking it");
        await up.add(type, id, raw);
        stats.blobs++;
      }
      stats.packs++;
    }
  } catch (e) {
    await up.abandon();
    throw e;
  }
  await up.finish();
  stats.bytesWritten = up.stats.bytesUploaded;
  return stats;
}
