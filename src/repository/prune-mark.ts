import { z } from "zod";
import { IntegrityError, NotFoundError } from "../core/errors.js";
import type { AgentKey } from "../crypto/agent-key.js";
import { seal, unseal } from "../crypto/sealed.js";
import type { Storage } from "../storage/storage.js";
import { checkedPackRows, decodeIndexBody, encodeIndexBody, type IndexPack } from "./format/index-file.js";
import { isObjectKey, PRUNE_PREFIX, pruneMarkKey } from "./format/layout.js";
import { sha256Hex } from "./format/sha256.js";

/**
 * A prune mark (`prune/<sha256>`, docs/FORMAT.md §Prune): the first phase of
 * the two-phase deletion. It condemns packs (with their full index entries, so
 * a later prune can put a pack back into the index if a snapshot committed in
 * the meantime turns out to need it) and lists superseded objects to delete.
 * Its age is the store's mtime of the mark object; nothing it lists is deleted
 * before that age passes `graceMs`.
 */
const MarkSchema = z.object({
  version: z.literal(1),
  created: z.string(),
  graceMs: z.number().int().nonnegative(),
  /** Checked row by row with the index's decoding rules (checkedPackRows). */
  packs: z.array(z.unknown()),
  /** Other objects to delete once the grace period is over (superseded index files, locked leftovers). */
  objects: z.array(z.string().regex(/^(index|snapshots|data\/[0-9a-f]{2}|meta\/[0-9a-f]{2})\/[0-9a-f]{64}$/)),
});
export type MarkBody = Omit<z.infer<typeof MarkSchema>, "packs"> & { packs: IndexPack[] };

export interface PruneMark {
  key: string;
  /** Store time of the mark object: the start of its grace period. */
  mtime: Date;
  body: MarkBody;
}

export function sealMark(agent: AgentKey, body: MarkBody): Buffer {
  return seal(agent, "prune", encodeIndexBody(body, "new prune mark"));
}

export function openMark(agent: AgentKey, file: Uint8Array, what: string): MarkBody {
  const r = MarkSchema.safeParse(decodeIndexBody(unseal(agent, "prune", file, what), "prune mark", what));
  if (!r.success) throw new IntegrityError("prune mark", what, r.error.message);
  return { ...r.data, packs: checkedPackRows(r.data.packs, "prune mark", what) };
}

/** Write a mark; returns its key. The write is the moment packs become condemned. */
export async function writeMark(storage: Storage, agent: AgentKey, body: MarkBody): Promise<string> {
  const file = sealMark(agent, body);
  const key = pruneMarkKey(sha256Hex(file));
  await storage.put(key, file);
  return key;
}

/**
 * Every mark in the repository. A damaged mark throws unless `onDamaged` takes
 * it (readers may go on without it; prune must not, since it cannot tell that
 * mark's packs from live ones).
 */
export async function listMarks(
  storage: Storage,
  agent: AgentKey,
  signal?: AbortSignal,
  onDamaged?: (key: string, e: IntegrityError) => void,
  skip?: (key: string) => boolean,
): Promise<PruneMark[]> {
  const out: PruneMark[] = [];
  for await (const o of storage.list(PRUNE_PREFIX, signal)) {
    // A stray object (docs/FORMAT.md §Layout) is not a mark: check reports it, everyone else passes it by.
    if (!isObjectKey(o.key) || skip?.(o.key)) continue;
    try {
      out.push({
        key: o.key,
        mtime: o.mtime,
        body: openMark(agent, await storage.get(o.key, undefined, signal), o.key),
      });
    } catch (e) {
      // Listed, then finished and deleted by a prune: its packs are revived or gone, which a backup's pack listing after this shows.
      if (e instanceof NotFoundError) continue;
      if (!(e instanceof IntegrityError) || !onDamaged) throw e;
      onDamaged(o.key, e);
    }
  }
  return out;
}

export function emptyMark(now: Date, graceMs: number, packs: IndexPack[] = [], objects: string[] = []): MarkBody {
  return { version: 1, created: now.toISOString(), graceMs, packs, objects };
}
