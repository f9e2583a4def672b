import { randomBytes } from "node:crypto";
import { z } from "zod";
import { IntegrityError } from "../../core/errors.js";
import type { AgentKey } from "../../crypto/agent-key.js";
import { seal, unseal } from "../../crypto/sealed.js";
import { decodeJson, encodeJson } from "./json-body.js";

/** Format version this code writes and reads (docs/FORMAT.md §Versioning). */
export const FORMAT_VERSION = 1;
/** The only prune protocol v1 repositories use (docs/RELIABILITY.md invariant 12). */
export const PRUNE_PROTOCOL = "two-phase-v1";

const ConfigSchema = z.object({
  format: z.literal("cairn"),
  version: z.number().int(),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  created: z.string(),
  chunker: z.object({
    min: z.number().int(),
    avg: z.number().int(),
    max: z.number().int(),
    normalization: z.number().int().min(0).max(3).optional(),
  }),
  packSize: z.number().int().positive(),
  compressionLevel: z.number().int().min(1).max(19),
  pruneProtocol: z.string(),
});

export type RepoConfig = z.infer<typeof ConfigSchema>;

export interface NewConfigOptions {
  chunker: { min: number; avg: number; max: number; normalization?: number };
  packSize: number;
  compressionLevel: number;
  now: Date;
}

export function newRepoConfig(o: NewConfigOptions): RepoConfig {
  return {
    format: "cairn",
    version: FORMAT_VERSION,
    id: randomBytes(16).toString("hex"),
    created: o.now.toISOString(),
    chunker: o.chunker,
    packSize: o.packSize,
    compressionLevel: o.compressionLevel,
    pruneProtocol: PRUNE_PROTOCOL,
  };
}

export function sealConfig(agent: AgentKey, c: RepoConfig): Buffer {
  return seal(agent, "config", encodeJson(c));
}

export function openConfig(agent: AgentKey, file: Uint8Array): RepoConfig {
  const parsed = ConfigSchema.safeParse(decodeJson(unseal(agent, "config", file, "config"), "config", "config"));
  if (!parsed.success) throw new IntegrityError("config", "config", parsed.error.message);
  if (parsed.data.version !== FORMAT_VERSION) {
    throw new IntegrityError(
      "config",
      "config",
      `repository format version ${parsed.data.version} is not supported by this cairn (reads version ${FORMAT_VERSION})`,
      { hint: "upgrade cairn" },
    );
  }
  return parsed.data;
}
