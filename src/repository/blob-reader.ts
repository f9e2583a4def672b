import { IdentityRequiredError, IntegrityError } from "../errors.js";
import type { BlobId } from "../ids.js";
import type { AgentKey } from "../crypto/agent-key.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { ageDecryptRange, ageOpenHeader } from "../crypto/age-file.js";
import { decompressBlob } from "../compression/zstd.js";
import type { Storage } from "../storage/storage.js";
import type { BlobIndex } from "./blob-index.js";
import { packKey } from "./layout.js";

/** File keys of recently used packs: one X25519 unwrap per pack, not per blob. */
const FILE_KEY_CACHE = 256;

/**
 * Reads single blobs with ranged GETs: the age header, then only the STREAM
 * chunks covering the blob. Every blob is checked against its keyed ID, so a
 * store cannot substitute content even though it knows the recipients.
 */
export class BlobReader {
  private readonly fileKeys = new Map<string, { fileKey: Buffer; headerLength: number }>();

  constructor(
    private readonly storage: Storage,
    private readonly index: BlobIndex,
    private readonly agent: AgentKey,
    private readonly identities: readonly AgeIdentity[] | undefined,
  ) {}

  async read(id: BlobId, signal?: AbortSignal): Promise<Buffer> {
    const loc = this.index.get(id);
    if (!loc) throw new IntegrityError("blob", id, "not in any index: the pack holding it is missing or was never indexed");
    const pack = this.index.pack(loc.packIndex);
    const key = packKey(pack.kind, pack.id);
    const opened = await this.openPack(key, pack.kind, pack.headerLength, signal);
    const stored = await ageDecryptRange(opened, pack.size, loc.offset, loc.length, (o, l) => this.storage.get(key, { offset: o, length: l }, signal), key);
    const raw = loc.compressed ? Buffer.from(decompressBlob(stored, loc.rawLength, `${id} in ${key}`)) : stored;
    if (raw.byteLength !== loc.rawLength || this.agent.blobId(loc.type, raw) !== id) {
      throw new IntegrityError("blob", `${id} in ${key}`, "content does not match its id");
    }
    return raw;
  }

  private async openPack(key: string, kind: "data" | "meta", headerLength: number, signal?: AbortSignal) {
    const cached = this.fileKeys.get(key);
    if (cached) return cached;
    const identities = kind === "meta" ? [this.agent.identity] : this.identities;
    if (!identities || identities.length === 0) throw new IdentityRequiredError("reading file contents and names");
    const header = await this.storage.get(key, { offset: 0, length: headerLength }, signal);
    const opened = ageOpenHeader(header, identities, key);
    if (this.fileKeys.size >= FILE_KEY_CACHE) this.fileKeys.delete(this.fileKeys.keys().next().value as string);
    this.fileKeys.set(key, opened);
    return opened;
  }
}
