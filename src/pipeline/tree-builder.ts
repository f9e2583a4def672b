import { readlink } from "node:fs/promises";
import { BlobType, type BlobId } from "../core/ids.js";
import { AbortedError, IntegrityError, StorageError } from "../core/errors.js";
import type { TreeNode } from "../repository/format/tree.js";
import { encodeName } from "../repository/format/tree.js";
import { encodeTree } from "../repository/format/tree-codec.js";
import { encodeSkeleton } from "../repository/format/skeleton.js";
import type { BlobKeying } from "./backup-repository.js";
import type { BlobSaver } from "./blob-saver.js";
import type { CacheSink } from "./best-effort-cache.js";
import { baseNode } from "./fs-node.js";
import type { FileSaver, SavedFile } from "./file-saver.js";
import { Lookahead } from "./lookahead.js";
import { changedWhileRead, type SmallFileResult } from "./small-file-job.js";
import { eventWeight, walkDir, walkEntry, type PlannedFile, type WalkContext, type WalkEvent } from "./walk.js";
import type { BackupCounters, BackupEvents } from "./progress.js";

export interface SavedDir {
  tree: BlobId;
  skeleton: BlobId;
}

/** What one entry contributes to its parent directory's tree and skeleton. */
export interface SavedEntry {
  node: TreeNode;
  skeleton?: BlobId;
}

export interface TreeBuilderContext {
  agent: BlobKeying;
  up: BlobSaver;
  saver: FileSaver;
  walk: WalkContext;
  cacheWriter?: CacheSink;
  counters: BackupCounters;
  events: BackupEvents;
  signal?: AbortSignal;
}

/** Walk events queued ahead of the tree builder, and the bytes of small files read ahead. */
const AHEAD_EVENTS = 4096;
const AHEAD_BYTES = 32 * 1024 * 1024;

type FileEvent = Extract<WalkEvent, { t: "file" }>;

/**
 * Builds one tree blob and one skeleton blob per directory from the walk
 * (walk.ts), which runs ahead: listing directories, looking up the parent
 * cache and reading small files in batches on the codec's workers, while this
 * side stores blobs and encodes trees in walk order.
 */
export class TreeBuilder {
  constructor(private readonly c: TreeBuilderContext) {}

  /** Save the contents of the directory `abs` (its absolute path split into `components`). */
  async saveDir(abs: Buffer, components: Buffer[]): Promise<SavedDir> {
    this.c.counters.dirs++;
    return this.run(
      (out) => walkDir(this.c.walk, abs, components, out),
      (la) => this.consumeDir(la),
    );
  }

  /** Save one backed-up path (file, directory or other); undefined when excluded or unreadable. */
  async saveEntry(abs: Buffer, components: Buffer[], name: Buffer): Promise<SavedEntry | undefined> {
    const c = this.c.walk;
    const root = async (out: Lookahead<WalkEvent>): Promise<void> => {
      await walkEntry(c, abs, components, name, out);
      await out.push({ t: "end" });
    };
    return this.run(root, async (la) => {
      let saved: SavedEntry | undefined;
      for (let ev = await la.next(); ev.t !== "end"; ev = await la.next())
        saved = (await this.consume(la, ev)) ?? saved;
      return saved;
    });
  }

  /** Emit the tree and skeleton blobs for a directory's entries. */
  async saveNodes(entries: readonly SavedEntry[]): Promise<SavedDir> {
    const nodes = entries.map((e) => e.node);
    const treeBytes = encodeTree({ nodes });
    const tree = this.c.agent.blobId(BlobType.Tree, treeBytes);
    await this.c.up.add(BlobType.Tree, tree, treeBytes);
    const data = nodes.flatMap((n) => n.content ?? []);
    const children = entries.flatMap((e) => (e.skeleton ? [e.skeleton] : []));
    const skelBytes = encodeSkeleton({ tree, children, data });
    const skeleton = this.c.agent.blobId(BlobType.Skeleton, skelBytes);
    await this.c.up.add(BlobType.Skeleton, skeleton, skelBytes);
    return { tree, skeleton };
  }

  private async run<R>(
    produce: (out: Lookahead<WalkEvent>) => Promise<void>,
    consume: (la: Lookahead<WalkEvent>) => Promise<R>,
  ): Promise<R> {
    const la = Lookahead.run(produce, eventWeight, AHEAD_EVENTS, AHEAD_BYTES);
    try {
      return await consume(la);
    } finally {
      la.stop();
    }
  }

  /** A directory's entries up to its "end" event. */
  private async consumeDir(la: Lookahead<WalkEvent>): Promise<SavedDir> {
    const entries: SavedEntry[] = [];
    for (;;) {
      if (this.c.signal?.aborted) throw new AbortedError("backup interrupted");
      const ev = await la.next();
      if (ev.t === "end") break;
      const saved = await this.consume(la, ev);
      if (saved) entries.push(saved);
    }
    return this.saveNodes(entries);
  }

  private async consume(
    la: Lookahead<WalkEvent>,
    ev: Exclude<WalkEvent, { t: "end" }>,
  ): Promise<SavedEntry | undefined> {
    if (ev.t === "warn") {
      this.warn(ev.abs, ev.message);
      return undefined;
    }
    const node = baseNode(ev.name, ev.st);
    if (ev.t === "dir") {
      this.c.counters.dirs++;
      const d = await this.consumeDir(la);
      node.subtree = d.tree;
      return { node, skeleton: d.skeleton };
    }
    if (ev.t === "file") return this.saveFile(ev, node);
    if (node.type === "symlink") return this.saveSymlink(ev.abs, node);
    return { node };
  }

  private async saveSymlink(abs: Buffer, node: TreeNode): Promise<SavedEntry | undefined> {
    try {
      const t = encodeName(await readlink(abs, { encoding: "buffer" }));
      if (t.name !== undefined) node.target = t.name;
      else node.targetB64 = t.nameB64;
      return { node };
    } catch (e) {
      this.warn(abs, `cannot read symlink: ${(e as Error).message}`);
      return undefined;
    }
  }

  private async saveFile(ev: FileEvent, node: TreeNode): Promise<SavedEntry | undefined> {
    const { cached, key, unchanged } = ev.file;
    const counters = this.c.counters;
    if (unchanged && cached) {
      node.size = cached.size;
      node.content = cached.content;
      counters.filesUnchanged++;
    } else {
      try {
        const saved = await this.readFile(ev, ev.file);
        node.size = saved.size;
        node.content = saved.content;
        if (saved.changedWhileReading)
          this.warn(ev.abs, `file changed while it was being read; stored the ${saved.size} bytes read`);
      } catch (e) {
        if (this.c.signal?.aborted) throw new AbortedError("backup interrupted");
        if (e instanceof IntegrityError) throw e; // the codec failed its own check: not this file's fault
        // A pack upload that failed surfaces in whichever file was being saved: the repository's fault, not the file's.
        if (e instanceof StorageError) throw e;
        this.warn(ev.abs, `cannot read file: ${(e as Error).message}`);
        return undefined;
      }
      if (cached) counters.filesChanged++;
      else counters.filesNew++;
    }
    counters.bytesTotal += node.size ?? 0;
    const st = ev.st;
    await this.c.cacheWriter?.add(key, {
      size: node.size ?? 0,
      mtimeNs: st.mtimeNs,
      ctimeNs: st.ctimeNs,
      ino: Number(st.ino),
      dev: Number(st.dev),
      content: node.content ?? [],
    });
    return { node };
  }

  private async readFile(ev: FileEvent, plan: PlannedFile): Promise<SavedFile> {
    if (!plan.read) return this.c.saver.saveLarge(ev.abs, ev.st, this.c.signal, plan.large);
    const r: SmallFileResult = await plan.read;
    if (!r.ok) throw new Error(r.message);
    const content: BlobId[] = [];
    if (r.blob) content.push(await this.c.saver.storeRead(r.blob));
    return { content, size: r.size, changedWhileReading: changedWhileRead(ev.st, r.after, r.size) };
  }

  private warn(abs: Buffer, message: string): void {
    this.c.counters.warnings++;
    this.c.events.onWarning?.({ path: abs.toString("utf8"), message });
  }
}
