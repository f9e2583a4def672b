import { randomBytes } from "node:crypto";
import type { BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import { NotFoundError } from "../../core/errors.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { ByteRange, ObjectInfo, PutBody, PutOptions, Storage, StorageCapabilities } from "../storage.js";
import { AZURE_CONTAINER_NAME, parseBucketUrl, type BucketLocation } from "../bucket-url.js";
import { KeyPrefix } from "../key-prefix.js";
import { PartReader, type Part } from "../part-reader.js";
import { TaskPool } from "../../core/task-pool.js";
import { assertRange } from "../byte-range.js";
import { azureError } from "./azure-error.js";
import { azureContainerClient } from "./azure-client.js";
import { AZURE_DEFAULT_BLOCK_SIZE, validateAzureOptions, type AzureOptions } from "./azure-options.js";
import { mappedStream } from "../mapped-stream.js";
import { md5Bytes } from "../md5.js";
import { retryPart } from "../part-retry.js";

interface WriteOptions {
  tier?: string;
  immutabilityPolicy?: { expiriesOn: Date; policyMode: "Unlocked" | "Locked" };
  conditions?: { ifNoneMatch: string };
  abortSignal?: AbortSignal;
}

/**
 * A repository under `azure://container/prefix` in Azure Blob Storage (block
 * blobs). Azure enforces create-if-absent (`If-None-Match: *` answers 409),
 * so conditional create is real here.
 *
 * @example
 * const azure = AzureStorage.fromUrl("azure://my-container/backups/app1", { connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING });
 */
export class AzureStorage implements Storage {
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  readonly container: string;
  private readonly prefix: KeyPrefix;
  private readonly client: ContainerClient;
  private readonly clock: Clock;

  constructor(
    location: BucketLocation,
    private readonly o: AzureOptions = {},
  ) {
    validateAzureOptions(o);
    this.container = location.bucket;
    this.prefix = new KeyPrefix(location.prefix);
    this.name = `azure://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}`;
    this.capabilities = { conditionalCreate: true, objectLock: o.immutability !== undefined, atomicReplace: true };
    this.clock = o.clock ?? systemClock;
    this.client = azureContainerClient(location.bucket, o);
  }

  static fromUrl(url: string, opts: AzureOptions = {}): AzureStorage {
    return new AzureStorage(parseBucketUrl(url, "azure", AZURE_CONTAINER_NAME, "container"), opts);
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<void> {
    await this.write(key, body, false, opts.signal);
  }

  async putIfAbsent(key: string, body: PutBody, opts: PutOptions = {}): Promise<boolean> {
    try {
      await this.write(key, body, true, opts.signal);
      return true;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 409 || status === 412) return false; // BlobAlreadyExists / ConditionNotMet
      throw err;
    }
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const blob = this.blob(key);
    if (range) assertRange(range);
    if (range?.length === 0) {
      if (!(await this.head(key))) throw new NotFoundError(this.name, key);
      return new Uint8Array(0);
    }
    try {
      const r = await blob.download(range?.offset ?? 0, range?.length, { abortSignal: signal });
      if (!r.readableStreamBody || r.contentLength === 0) return new Uint8Array(0);
      const parts: Uint8Array[] = [];
      for await (const chunk of r.readableStreamBody as AsyncIterable<Uint8Array>) parts.push(chunk);
      return new Uint8Array(Buffer.concat(parts));
    } catch (err) {
      // 416: the range starts at or past the end of an existing blob, a short read of nothing.
      if (range && (err as { statusCode?: number }).statusCode === 416) return new Uint8Array(0);
      throw azureError(this.name, this.container, key, err, signal, true);
    }
  }

  async getStream(key: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    try {
      const r = await this.blob(key).download(0, undefined, { abortSignal: signal });
      const body = r.readableStreamBody ? (r.readableStreamBody as AsyncIterable<Uint8Array>) : [];
      return mappedStream(body, (err) => azureError(this.name, this.container, key, err, signal));
    } catch (err) {
      throw azureError(this.name, this.container, key, err, signal, true);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const p = await this.blob(key).getProperties();
      return { key, size: p.contentLength ?? 0, mtime: p.lastModified ?? new Date(0) };
    } catch (err) {
      const mapped = azureError(this.name, this.container, key, err, undefined, true);
      if (mapped instanceof NotFoundError) return undefined;
      throw mapped;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    const pages = this.client
      .listBlobsFlat({ prefix: this.prefix.listPrefix(prefix), abortSignal: signal })
      .byPage({ maxPageSize: this.o.listPageSize ?? 5000 });
    try {
      for await (const page of pages) {
        for (const b of page.segment.blobItems) {
          yield {
            key: this.prefix.key(b.name),
            size: b.properties.contentLength ?? 0,
            mtime: b.properties.lastModified,
          };
        }
      }
    } catch (err) {
      throw azureError(this.name, this.container, undefined, err, signal);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.blob(key).deleteIfExists();
    } catch (err) {
      throw azureError(this.name, this.container, key, err);
    }
  }

  private blob(key: string): BlockBlobClient {
    return this.client.getBlockBlobClient(this.prefix.name(this.name, key));
  }

  private async write(key: string, body: PutBody, ifNoneMatch: boolean, signal?: AbortSignal): Promise<void> {
    const blob = this.blob(key);
    const opts = this.writeOptions(key, ifNoneMatch, signal);
    try {
      const reader = new PartReader(body, this.o.blockSize ?? AZURE_DEFAULT_BLOCK_SIZE);
      const first = (await reader.next())!; // an empty body still yields one (empty) part
      if (first.last) {
        const bytes = first.bytes;
        await blob.upload(bytes, bytes.length, { ...opts, blobHTTPHeaders: { blobContentMD5: md5Bytes(bytes) } });
        return;
      }
      const ids = await this.stageBlocks(blob, first, reader, signal);
      // The blob appears only here: a crash before leaves uncommitted blocks, which Azure drops after 7 days.
      await blob.commitBlockList(ids, opts);
    } catch (err) {
      throw azureError(this.name, this.container, key, err, signal);
    }
  }

  /** Stages blocks (MD5 checked by the service, `blockConcurrency` in flight); returns their ids in order. */
  private async stageBlocks(
    blob: BlockBlobClient,
    first: Part,
    reader: PartReader,
    signal?: AbortSignal,
  ): Promise<string[]> {
    // Block ids must have one length per blob; a per-upload token keeps two writers of one name apart.
    const token = randomBytes(6).toString("hex");
    const ids: string[] = [];
    const pool = new TaskPool(this.o.blockConcurrency ?? 2);
    for (let part: Part | undefined = first; part; part = part.last ? undefined : await reader.next()) {
      const id = Buffer.from(`${token}-${String(part.number).padStart(6, "0")}`).toString("base64");
      ids.push(id);
      const bytes = part.bytes;
      const stage = () =>
        blob.stageBlock(id, bytes, bytes.length, { transactionalContentMD5: md5Bytes(bytes), abortSignal: signal });
      await pool.add(async () => {
        await retryPart(stage, this.transient, signal);
      });
    }
    await pool.drain();
    return ids;
  }

  private readonly transient = (err: unknown): boolean =>
    (azureError(this.name, this.container, undefined, err) as { retryable?: boolean }).retryable === true;

  private writeOptions(key: string, ifNoneMatch: boolean, signal?: AbortSignal): WriteOptions {
    const o = this.o;
    const tiered = o.tier !== undefined && (!o.tierPrefixes || o.tierPrefixes.some((p) => key.startsWith(p)));
    const lock = o.immutability;
    return {
      tier: tiered ? o.tier : undefined,
      immutabilityPolicy: lock && {
        expiriesOn: new Date(this.clock.now().getTime() + lock.retainForMs),
        policyMode: lock.mode ?? "Unlocked",
      },
      conditions: ifNoneMatch ? { ifNoneMatch: "*" } : undefined,
      abortSignal: signal,
    };
  }
}
