import {
  IdentityRequiredError,
  IntegrityError,
  NotFoundError,
  RepositoryError,
  UsageError,
  WrongKeyError,
} from "../core/errors.js";
import type { BlobId } from "../core/ids.js";
import { BlobType } from "../core/ids.js";
import { systemClock, type Clock } from "../core/clock.js";
import { AgentKey } from "../crypto/agent-key.js";
import { generateIdentity, type AgeIdentity, type AgeRecipient } from "../crypto/age-keys.js";
import { DEFAULT_CHUNKER_PARAMS, validateChunkerParams, type ChunkerParams } from "../chunker/fastcdc.js";
import type { Storage } from "../storage/storage.js";
import { BlobIndex } from "./blob-index.js";
import { BlobReader } from "./blob-reader.js";
import type { StoredBlob } from "./format/blob-decode.js";
import { KeyStore, type StoredKeyFile } from "./key-store.js";
import {
  CONFIG_KEY,
  DATA_PREFIX,
  idOfKey,
  indexKey,
  isObjectKey,
  META_PREFIX,
  SNAPSHOTS_PREFIX,
  snapshotKey,
} from "./format/layout.js";
import { LoadedIndex } from "./loaded-index.js";
import { newRepoConfig, openConfig, sealConfig, type RepoConfig } from "./format/repo-config.js";
import { sha256Hex } from "./format/sha256.js";
import { decodeSkeleton, type Skeleton } from "./format/skeleton.js";
import { openSnapshot, sealSnapshot, type Snapshot, type SnapshotRecord } from "./format/snapshot-record.js";
import { compareSnapshots, snapshotInstant } from "./format/snapshot-order.js";
import type { Tree } from "./format/tree.js";
import { decodeTree } from "./format/tree-codec.js";
import { Uploader, type UploaderOptions } from "./uploader.js";
import { listMarks } from "./prune-mark.js";
import type { RepositoryMaintenance } from "./repository-maintenance.js";
import type { RepositoryWarning } from "./repository-warning.js";

export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_COMPRESSION_LEVEL = 3;

export interface InitOptions {
  recipients: readonly AgeRecipient[];
  /** Generated when absent; returned either way so the caller can save it. */
  agentKey?: AgentKey;
  chunker?: ChunkerParams;
  packSize?: number;
  compressionLevel?: number;
  clock?: Clock;
}

export type { RepositoryWarning } from "./repository-warning.js";

export interface OpenOptions {
  agentKey?: AgentKey;
  identities?: readonly AgeIdentity[];
  clock?: Clock;
}

/**
 * A cairn repository on some storage: the facade the CLI, the agent and the
 * library API use. Holds the agent key (always) and the restore identities
 * (only when given), and enforces which operations need which. Its storage,
 * index and prune marks are its own: backup and restore go through its
 * methods, prune and check through `maintenance()`.
 */
export class Repository {
  /** The index and the prune marks, loaded once (loadIndex). */
  private readonly loaded: LoadedIndex;
  private readonly reader: BlobReader;

  private constructor(
    private readonly storage: Storage,
    readonly config: RepoConfig,
    readonly agent: AgentKey,
    /** Data packs are encrypted to this recipient (the data identity's; FORMAT.md §Key files); the error when no key file is intact. */
    private readonly dataRecipientOrError: AgeRecipient | RepositoryError,
    /** The data identity, present only when the repository was opened with a restore identity. */
    private readonly dataIdentity: AgeIdentity | undefined,
    readonly clock: Clock,
  ) {
    this.loaded = new LoadedIndex(storage, agent, (w) => this.warn(w));
    this.reader = new BlobReader(storage, this.loaded.blobs, agent, this.identities);
  }

  /** Create a repository: key file first, then `config`, whose presence marks an initialised repository. */
  static async init(storage: Storage, o: InitOptions): Promise<{ repo: Repository; agentKey: AgentKey }> {
    if (o.recipients.length === 0)
      throw new UsageError("at least one recipient (age1...) is needed", {
        hint: "create one with `cairn key generate`",
      });
    if (await storage.head(CONFIG_KEY))
      throw new RepositoryError(`a repository already exists at ${storage.name}`, {
        hint: "use it, or choose another location",
      });
    const clock = o.clock ?? systemClock;
    const chunker = o.chunker ?? DEFAULT_CHUNKER_PARAMS;
    validateChunkerParams(chunker);
    const agentKey = o.agentKey ?? AgentKey.generate();
    const dataIdentity = generateIdentity();
    const config = newRepoConfig({
      chunker,
      packSize: o.packSize ?? DEFAULT_PACK_SIZE,
      compressionLevel: o.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
      now: clock.now(),
    });
    await new KeyStore(storage).replace({ agent: agentKey, dataIdentity }, o.recipients, clock.now());
    await storage.put(CONFIG_KEY, sealConfig(agentKey, config));
    // The data identity is not kept: like any agent, this handle can write but not read contents.
    return { repo: new Repository(storage, config, agentKey, dataIdentity.recipient, undefined, clock), agentKey };
  }

  static async open(storage: Storage, o: OpenOptions): Promise<Repository> {
    const configBytes = await storage.get(CONFIG_KEY).catch((e: unknown) => {
      if ((e as { code?: string }).code === "E_STORAGE" && (e as { status?: number }).status === 404) {
        throw new RepositoryError(`no cairn repository at ${storage.name} (no config object)`, {
          hint: "check --repo / CAIRN_REPO, or create one with `cairn init`",
        });
      }
      throw e;
    });
    const keys = new KeyStore(storage);
    let agent = o.agentKey;
    let dataIdentity: AgeIdentity | undefined;
    if (o.identities?.length) {
      const secrets = await keys.unwrap(o.identities);
      dataIdentity = secrets.dataIdentity;
      agent ??= secrets.agent;
    }
    if (!agent)
      throw new UsageError("an agent key or an identity is needed to open the repository", {
        hint: "pass --agent-key-file (CAIRN_AGENT_KEY_FILE) or --identity (CAIRN_IDENTITY_FILE)",
      });
    let config: RepoConfig;
    try {
      config = openConfig(agent, configBytes);
    } catch (e) {
      if (e instanceof WrongKeyError)
        throw new WrongKeyError(`the agent key does not open the repository at ${storage.name}`, {
          hint: "check --agent-key-file / CAIRN_AGENT_KEY: it must be the key written by `cairn init` for this repository",
        });
      throw e;
    }
    // Without an intact key file the repository still opens, so check can report the damage; writing fails later, naming it.
    const dataRecipient = await keys.dataRecipient(agent).catch((e: unknown) => {
      if (e instanceof RepositoryError) return e;
      throw e;
    });
    if (
      dataIdentity &&
      !(dataRecipient instanceof RepositoryError) &&
      String(dataIdentity.recipient) !== String(dataRecipient)
    ) {
      throw new WrongKeyError("the identity opens a key file that does not belong with this agent key", {
        hint: "use the agent key and identity of the same repository",
      });
    }
    return new Repository(storage, config, agent, dataRecipient, dataIdentity, o.clock ?? systemClock);
  }

  /** The recipient new data packs are encrypted to; throws, naming the damage, when no key file is intact. */
  private get dataRecipient(): AgeRecipient {
    if (this.dataRecipientOrError instanceof RepositoryError) throw this.dataRecipientOrError;
    return this.dataRecipientOrError;
  }

  /** Identities that decrypt data packs: the data identity, when known. */
  private get identities(): readonly AgeIdentity[] | undefined {
    return this.dataIdentity ? [this.dataIdentity] : undefined;
  }

  get hasIdentity(): boolean {
    return this.dataIdentity !== undefined;
  }

  /** Re-wrap the agent key and data identity to a new recipient set (needs the identity). No data is re-encrypted. */
  async setRecipients(recipients: readonly AgeRecipient[]): Promise<void> {
    if (!this.dataIdentity) throw new IdentityRequiredError("changing recipients");
    if (recipients.length === 0)
      throw new UsageError("refusing to leave the repository without recipients: nobody could restore it", {
        hint: "add the new recipient first",
      });
    await this.keys.replace({ agent: this.agent, dataIdentity: this.dataIdentity }, recipients, this.clock.now());
  }

  requireIdentity(operation: string): void {
    if (!this.identities) throw new IdentityRequiredError(operation);
  }

  /** The newest intact key file: the recipients the agent key and data identity are wrapped to. */
  currentKeyFile(): Promise<StoredKeyFile> {
    return this.keys.current(this.agent);
  }

  private get keys(): KeyStore {
    return new KeyStore(this.storage);
  }

  /**
   * Load the prune marks and every index file into memory, once (LoadedIndex.load
   * says in which order and what is skipped). Reads and backups load it when
   * they first need it; calling this first only moves the moment.
   */
  async loadIndex(signal?: AbortSignal): Promise<void> {
    await this.loaded.load(signal);
  }

  /** The explicit surface prune and check work through (RepositoryMaintenance says what each member is for). */
  maintenance(): RepositoryMaintenance {
    return {
      storage: this.storage,
      config: this.config,
      agent: this.agent,
      clock: this.clock,
      dataIdentities: this.identities,
      loadMarks: (signal) => this.loaded.loadMarks(signal),
      loadIndex: async (signal) => {
        await this.loaded.load(signal);
        return this.loaded;
      },
      listSnapshots: (signal) => this.listSnapshots(signal),
      readBlob: (id, signal) => this.readBlob(id, signal),
      // An index of its own: nothing is deduplicated against the copies about to be condemned.
      freshUploader: (dataPacks) =>
        new Uploader(this.storage, new BlobIndex(), this.agent, dataPacks ? [this.dataRecipient] : [], this.config),
    };
  }

  /**
   * Just before a backup commits: a prune that started after this backup
   * loaded the index may have condemned packs the backup relies on. That is
   * safe while the mark is younger than half its grace period (the deleting
   * prune runs after the whole grace period and then sees this snapshot, so it
   * keeps those packs); past that, the commit could come too late, so the
   * backup stops and the next run stores the data again (FORMAT.md §Prune).
   */
  private async verifyNotCondemned(up: Uploader): Promise<void> {
    const referenced = new Set([...up.referencedPacks].map((i) => this.loaded.blobs.pack(i).id));
    const race = (pack: string, why: string) =>
      new RepositoryError(
        `a prune ${why} pack ${pack}, which this backup references; committing now could race its deletion`,
        { hint: "run the backup again: it stores the data anew" },
      );
    const newer = await listMarks(this.storage, this.agent, undefined, undefined, (key) => this.loaded.knowsMark(key));
    const hits = newer.filter((m) => m.body.packs.some((p) => referenced.has(p.id)));
    // Marks first, then packs: a mark created and finished while this backup ran (it took longer than the
    // grace period) is gone from the list above, but then so is its pack from this one.
    const stored = new Set<string>();
    for (const prefix of [DATA_PREFIX, META_PREFIX])
      for await (const o of this.storage.list(prefix)) stored.add(idOfKey(o.key));
    for (const id of referenced) if (!stored.has(id)) throw race(id, "deleted");
    if (hits.length === 0) return;
    // Judged as late as possible (the commit follows), and by the later of this host's clock and the
    // store's time of this backup's newest index file: mark ages are store times, and a host clock that
    // lags the store must not let a commit through late (FORMAT.md §Prune, Clocks).
    const now = Math.max(this.clock.now().getTime(), await this.storeTimeOf(up.indexWriter.written.at(-1)));
    for (const m of hits) {
      if (now - m.mtime.getTime() >= m.body.graceMs / 2)
        throw race(m.body.packs.find((p) => referenced.has(p.id))!.id, `condemned at ${m.mtime.toISOString()}`);
    }
  }

  /** The store's time of an object this session wrote (ms), or -Infinity when there is none. */
  private async storeTimeOf(indexId: string | undefined): Promise<number> {
    const info = indexId === undefined ? undefined : await this.storage.head(indexKey(indexId));
    return info ? info.mtime.getTime() : -Infinity;
  }

  /** All readable snapshots, oldest first (snapshot-order.ts); a damaged snapshot record is skipped with a warning. */
  async listSnapshots(signal?: AbortSignal): Promise<Snapshot[]> {
    const out: Snapshot[] = [];
    for await (const o of this.storage.list(SNAPSHOTS_PREFIX, signal)) {
      if (!isObjectKey(o.key)) continue; // a stray object (FORMAT.md §Layout): check reports it
      const id = idOfKey(o.key);
      try {
        out.push({ ...openSnapshot(this.agent, await this.storage.get(o.key, undefined, signal), o.key), id });
      } catch (e) {
        if (e instanceof NotFoundError) continue; // forgotten between list and get
        if (!(e instanceof IntegrityError)) throw e;
        this.warn({ kind: "snapshot", key: o.key, message: `${e.message}; skipped` });
      }
    }
    const ms = new Map(out.map((s) => [s, snapshotInstant(s.time)]));
    return out.sort((a, b) => compareSnapshots({ id: a.id, ms: ms.get(a)! }, { id: b.id, ms: ms.get(b)! }));
  }

  /** Damage met and worked around (skipped snapshots, index files, missing packs); the CLI prints these. */
  readonly warnings: RepositoryWarning[] = [];
  onWarning?: (w: RepositoryWarning) => void;

  private warn(w: RepositoryWarning): void {
    if (this.warnings.some((x) => x.key === w.key)) return;
    this.warnings.push(w);
    this.onWarning?.(w);
  }

  /** Resolve `latest` or a (prefix of a) snapshot id. */
  async findSnapshot(ref: string, filter: (s: Snapshot) => boolean = () => true): Promise<Snapshot> {
    const all = (await this.listSnapshots()).filter(filter);
    if (ref === "latest") {
      const last = all.at(-1);
      if (!last) throw new RepositoryError("the repository has no snapshots yet");
      return last;
    }
    const hits = all.filter((s) => s.id.startsWith(ref));
    if (hits.length === 1) return hits[0];
    throw new UsageError(
      hits.length === 0
        ? `no snapshot matches ${JSON.stringify(ref)}`
        : `${JSON.stringify(ref)} matches ${hits.length} snapshots; give more of the id`,
      { hint: "list them with `cairn snapshots`" },
    );
  }

  /**
   * Run `fn` with a deduplicating uploader; on return every blob it added is
   * uploaded and indexed (write order: packs, then index — FORMAT.md §Write order).
   */
  async withUploader<T>(
    fn: (up: Uploader) => Promise<T>,
    o: UploaderOptions = {},
  ): Promise<{ result: T; uploader: Uploader }> {
    await this.loadIndex();
    const up = new Uploader(this.storage, this.loaded.blobs, this.agent, [this.dataRecipient], this.config, {
      condemned: this.loaded.condemned,
      ...o,
    });
    let result: T;
    try {
      result = await fn(up);
    } catch (e) {
      await up.abandon();
      throw e;
    }
    await up.finish();
    await this.verifyNotCondemned(up);
    return { result, uploader: up };
  }

  /** Delete a snapshot record (forget): its data stays until a prune finds it unreferenced. */
  async deleteSnapshot(id: string): Promise<void> {
    await this.storage.delete(snapshotKey(id));
  }

  /** Write a snapshot record: the commit point of a backup. Records this host's UTC offset unless given (retention buckets by local time). */
  async saveSnapshot(record: SnapshotRecord): Promise<string> {
    const utcOffset = record.utcOffset ?? (-new Date(record.time).getTimezoneOffset() || 0);
    const file = sealSnapshot(this.agent, { ...record, utcOffset });
    const id = sha256Hex(file);
    await this.storage.put(snapshotKey(id), file);
    return id;
  }

  async readBlob(id: BlobId, signal?: AbortSignal): Promise<Buffer> {
    await this.loadIndex(signal);
    return this.reader.read(id, signal);
  }

  /** A data blob's stored bytes, not yet verified (SnapshotReader.readStoredBlob). */
  async readStoredBlob(id: BlobId, signal?: AbortSignal): Promise<StoredBlob> {
    await this.loadIndex(signal);
    return this.reader.readStored(id, signal);
  }

  /** SnapshotReader.expectReads: the reads a restore is about to make (BlobReader.expectReads). */
  expectReads(ids: Iterable<BlobId>): void {
    this.reader.expectReads(ids);
  }

  /** SnapshotReader.prefetch: start loading the pack of a blob about to be needed (BlobReader.prefetch). */
  prefetch(id: BlobId): void {
    this.reader.prefetch(id);
  }

  /** SnapshotReader.storedAt: where a blob lies, to order reads by pack; undefined if not indexed (or the index is not loaded yet). */
  storedAt(id: BlobId): { pack: number; offset: number; rawLength: number } | undefined {
    const loc = this.loaded.blobs.get(id);
    return loc && { pack: loc.packIndex, offset: loc.offset, rawLength: loc.rawLength };
  }

  /** See AgentKey.exportBlobIdKey: for this process's restore threads, which verify blobs they decode. */
  exportBlobIdKey(): Buffer {
    return this.agent.exportBlobIdKey();
  }

  async loadTree(id: BlobId): Promise<Tree> {
    this.requireIdentity("reading a directory tree");
    return decodeTree(await this.readBlob(id), id);
  }

  async loadSkeleton(id: BlobId): Promise<Skeleton> {
    return decodeSkeleton(await this.readBlob(id), id);
  }

  blobId(type: BlobType, data: Uint8Array): BlobId {
    return this.agent.blobId(type, data);
  }

  async close(): Promise<void> {
    await this.reader.close();
    await this.storage.close?.();
  }
}
