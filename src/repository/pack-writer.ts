import { IntegrityError } from "../errors.js";
import type { BlobId } from "../ids.js";
import { BlobType } from "../ids.js";
import type { AgeRecipient } from "../crypto/age-keys.js";
import { ageEncrypt, ageDecrypt, ageHeaderLength } from "../crypto/age-file.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { compressBlob, decompressBlob } from "../compression/zstd.js";
import type { Storage } from "../storage/storage.js";
import { encodeTrailer, type PackEntry } from "./pack-format.js";
import { packKey, type PackKind } from "./layout.js";
import { sha256Hex } from "./sha256.js";

/** A pack that reached storage; the index records it. */
export interface UploadedPack {
  id: string;
  kind: PackKind;
  size: number;
  headerLength: number;
  entries: PackEntry[];
}

export interface PackWriterOptions {
  kind: PackKind;
  storage: Storage;
  recipients: readonly AgeRecipient[];
  /** Identity able to decrypt what we write, for the verify-before-upload step (meta packs: the agent key). */
  verifyIdentity?: AgeIdentity;
  packSize: number;
  compressionLevel: number;
  /** Uploads in flight at once; bounds memory at about (maxInFlight + 1) * packSize. */
  maxInFlight: number;
  onUploaded(pack: UploadedPack): void;
  onBytes?(stored: number): void;
}

/**
 * Accumulates compressed blobs into a pack, seals it as an age file when it
 * reaches the target size, verifies it, and uploads it (docs/FORMAT.md §Packs).
 * Backpressure: `add` waits while `maxInFlight` uploads are running.
 */
export class PackWriter {
  private parts: Uint8Array[] = [];
  private entries: PackEntry[] = [];
  private bytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly o: PackWriterOptions) {}

  async add(type: BlobType, id: BlobId, raw: Uint8Array): Promise<number> {
    this.throwIfFailed();
    const { bytes, compressed } = compressBlob(raw, this.o.compressionLevel);
    // Invariant 8: never trust the compressor; a blob that does not round-trip must not be stored.
    if (compressed && !Buffer.from(decompressBlob(bytes, raw.byteLength, id)).equals(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength))) {
      throw new IntegrityError("blob", id, "compressor produced data that does not decompress to the original");
    }
    this.entries.push({ type, id: Buffer.from(id, "hex"), offset: this.bytes, length: bytes.byteLength, rawLength: raw.byteLength, compressed });
    this.parts.push(bytes);
    this.bytes += bytes.byteLength;
    if (this.bytes >= this.o.packSize) await this.seal();
    return bytes.byteLength;
  }

  /** Seal and upload what is buffered, then wait for every upload. */
  async flush(): Promise<void> {
    if (this.entries.length > 0) await this.seal();
    await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private async seal(): Promise<void> {
    const parts = this.parts;
    const entries = this.entries;
    this.parts = [];
    this.entries = [];
    this.bytes = 0;
    parts.push(encodeTrailer(entries));
    const file = ageEncrypt(parts, this.o.recipients);
    this.verify(file, parts);
    const headerLength = ageHeaderLength(file) ?? 0;
    const id = sha256Hex(file);
    while (this.inFlight.size >= this.o.maxInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const p = this.upload({ id, kind: this.o.kind, size: file.byteLength, headerLength, entries }, file);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async upload(pack: UploadedPack, file: Buffer): Promise<void> {
    try {
      await this.o.storage.put(packKey(pack.kind, pack.id), file);
      this.o.onBytes?.(file.byteLength);
      this.o.onUploaded(pack);
    } catch (e) {
      this.failure ??= e;
    }
  }

  /** Invariant 8: decrypt the sealed pack and compare with its plaintext before it leaves the host. */
  private verify(file: Buffer, parts: readonly Uint8Array[]): void {
    if (!this.o.verifyIdentity) return;
    const plain = ageDecrypt(file, [this.o.verifyIdentity], "new pack");
    let p = 0;
    for (const part of parts) {
      if (!plain.subarray(p, p + part.byteLength).equals(part)) throw new IntegrityError("pack", "new pack", "encrypted pack does not decrypt to its plaintext; not uploaded");
      p += part.byteLength;
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
