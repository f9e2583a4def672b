import { lstat, readdir, readlink } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { BlobType, type BlobId } from "../ids.js";
import { AbortedError } from "../errors.js";
import type { TreeNode } from "../repository/tree.js";
import { encodeName } from "../repository/tree.js";
import { encodeTree } from "../repository/tree-codec.js";
import { encodeSkeleton } from "../repository/skeleton.js";
import type { Uploader } from "../repository/uploader.js";
import type { AgentKey } from "../crypto/agent-key.js";
import { pathKey, type ParentCacheReader, type ParentCacheWriter, type CachedFile } from "../repository/parent-cache.js";
import { baseNode } from "../sources/fs-node.js";
import type { ExcludeMatcher } from "../sources/exclude.js";
import type { FileSaver } from "./file-saver.js";
import type { BackupCounters, BackupEvents } from "./progress.js";

export interface SavedDir {
  tree: BlobId;
  skeleton: BlobId;
}

/** What one entry contributes to its parent directory's tree and skeleton. */
interface SavedEntry {
  node: TreeNode;
  skeleton?: BlobId;
}

export interface TreeBuilderContext {
  agent: AgentKey;
  up: Uploader;
  saver: FileSaver;
  excludes: ExcludeMatcher;
  parentCache?: ParentCacheReader;
  cacheWriter?: ParentCacheWriter;
  counters: BackupCounters;
  events: BackupEvents;
  signal?: AbortSignal;
}

const SEP = Buffer.from("/");

/**
 * Walks directories depth-first with children in raw-byte order (the order
 * the parent cache is sorted in), saving files and emitting one tree blob and
 * one skeleton blob per directory.
 */
export class TreeBuilder {
  constructor(private readonly c: TreeBuilderContext) {}

  /** Save the directory at `abs` (components = its absolute path split). */
  async saveDir(abs: Buffer, components: Buffer[]): Promise<SavedDir> {
    this.c.counters.dirs++;
    let names: Buffer[] = [];
    try {
      names = (await readdir(abs, { encoding: "buffer" })).sort(Buffer.compare);
    } catch (e) {
      this.warn(abs, `cannot list directory: ${(e as Error).message}; stored as empty`);
    }
    const entries: SavedEntry[] = [];
    for (const name of names) {
      if (this.c.signal?.aborted) throw new AbortedError("backup interrupted");
      const saved = await this.saveEntry(Buffer.concat([abs, abs.length > 1 ? SEP : Buffer.alloc(0), name]), [...components, name], name);
      if (saved) entries.push(saved);
    }
    return this.saveNodes(entries);
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

  async saveEntry(abs: Buffer, components: Buffer[], name: Buffer, st?: BigIntStats): Promise<SavedEntry | undefined> {
    try {
      st ??= await lstat(abs, { bigint: true });
    } catch (e) {
      this.warn(abs, `vanished or unreadable: ${(e as Error).message}`);
      return undefined;
    }
    const pathStr = abs.toString("utf8");
    if (this.c.excludes.excluded(pathStr, st.isDirectory())) return undefined;
    const node = baseNode(name, st);
    if (st.isDirectory()) {
      const d = await this.saveDir(abs, components);
      node.subtree = d.tree;
      return { node, skeleton: d.skeleton };
    }
    if (st.isSymbolicLink()) return this.saveSymlink(abs, node);
    if (st.isSocket()) {
      this.warn(abs, "socket skipped (sockets cannot be backed up)");
      return undefined;
    }
    if (!st.isFile()) return { node };
    return this.saveFile(abs, components, node, st);
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

  private async saveFile(abs: Buffer, components: Buffer[], node: TreeNode, st: BigIntStats): Promise<SavedEntry | undefined> {
    const key = pathKey(components);
    const cached = await this.c.parentCache?.lookup(key);
    const counters = this.c.counters;
    if (cached && this.unchanged(cached, st)) {
      node.size = cached.size;
      node.content = cached.content as BlobId[];
      counters.filesUnchanged++;
    } else {
      try {
        const saved = await this.c.saver.save(abs, st, this.c.signal);
        node.size = saved.size;
        node.content = saved.content;
        if (saved.changedWhileReading) this.warn(abs, `file changed while it was being read; stored the ${saved.size} bytes read`);
      } catch (e) {
        if (this.c.signal?.aborted) throw new AbortedError("backup interrupted");
        this.warn(abs, `cannot read file: ${(e as Error).message}`);
        return undefined;
      }
      if (cached) counters.filesChanged++;
      else counters.filesNew++;
    }
    counters.bytesTotal += node.size ?? 0;
    await this.c.cacheWriter?.add(key, { size: node.size ?? 0, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: Number(st.ino), dev: Number(st.dev), content: node.content ?? [] });
    return { node };
  }

  /** Unchanged by metadata, and every blob still present (the cache may predate a prune: invariant 7). */
  private unchanged(c: CachedFile, st: BigIntStats): boolean {
    if (BigInt(c.size) !== st.size || c.mtimeNs !== st.mtimeNs || c.ctimeNs !== st.ctimeNs || BigInt(c.ino) !== st.ino) return false;
    return c.content.every((id) => this.c.up.has(id as BlobId));
  }

  private warn(abs: Buffer, message: string): void {
    this.c.counters.warnings++;
    this.c.events.onWarning?.({ path: abs.toString("utf8"), message });
  }
}
