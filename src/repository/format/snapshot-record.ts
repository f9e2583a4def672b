import { z } from "zod";
import { IntegrityError } from "../../core/errors.js";
import type { AgentKey } from "../../crypto/agent-key.js";
import { seal, unseal } from "../../crypto/sealed.js";
import { decodeJson, encodeJson } from "./json-body.js";
import { asBlobId } from "../../core/ids.js";

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const SnapshotSummarySchema = z.object({
  filesNew: z.number(),
  filesChanged: z.number(),
  filesUnchanged: z.number(),
  dirs: z.number(),
  bytesRead: z.number(),
  bytesTotal: z.number(),
  bytesAdded: z.number(),
  bytesStored: z.number(),
  blobsNew: z.number(),
  blobsDeduplicated: z.number(),
  packsUploaded: z.number(),
  durationSeconds: z.number(),
  warnings: z.number(),
});
export type SnapshotSummary = z.infer<typeof SnapshotSummarySchema>;

/**
 * A snapshot record (`snapshots/<sha256>`, docs/FORMAT.md §Snapshots), sealed
 * with the agent key. Writing it is the commit of a backup.
 */
const SnapshotSchema = z.object({
  version: z.literal(1),
  time: z.string(),
  /** Minutes east of UTC on the recording host at `time`: retention buckets by local time (FORMAT.md §Snapshots). */
  utcOffset: z.number().int().min(-1440).max(1440).optional(),
  host: z.string(),
  paths: z.array(z.string()),
  source: z.string().optional(),
  tags: z.array(z.string()),
  parent: Hex64.optional(),
  tree: Hex64.transform(asBlobId),
  skeleton: Hex64.transform(asBlobId),
  summary: SnapshotSummarySchema.optional(),
  program: z.string(),
});
export type SnapshotRecord = z.infer<typeof SnapshotSchema>;

export interface Snapshot extends SnapshotRecord {
  id: string;
}

export function sealSnapshot(agent: AgentKey, s: SnapshotRecord): Buffer {
  return seal(agent, "snapshot", encodeJson(s));
}

export function openSnapshot(agent: AgentKey, file: Uint8Array, what: string): SnapshotRecord {
  const r = SnapshotSchema.safeParse(decodeJson(unseal(agent, "snapshot", file, what), "snapshot", what));
  if (!r.success) throw new IntegrityError("snapshot", what, r.error.message);
  return r.data;
}
