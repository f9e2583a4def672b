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
import type { FileSaver, SmallFileRead } from "./file-saver.js";
import { ReadAhead } from "./read-ahead.js";
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
/** Small files read ahead of the walk; bounds memory at READ_AHEAD x the chunker's min size. */
const READ_AHEAD = 32;
/** Parallel lstat calls per directory: hides syscall latency on large directories. */
const LSTAT_PARALLEL = 32;

/** Per-file decisions made in walk order, before the file's turn comes. */
interface FilePlan {
  key: Buffer;
  cached?: CachedFile;
  /** Small and not known unchanged: read it whole, ahead of its turn. */
  readAhead?: boolean;
}

async function lstatAll(paths: Buffer[]): Promise<(BigIntStats | Error)[]> {
  const out: (BigIntStats | Error)[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      out[i] = await lstat(paths[i], { bigint: true }).catch((e: Error) => e);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LSTAT_PARALLEL, paths.length) }, worker));
  return out;
}

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
    const paths = names.map((n) => Buffer.concat([abs, abs.length > 1 ? SEP : Buffer.alloc(0), n]));
    const stats = await lstatAll(paths);
    const plans: (FilePlan | undefined)[] = new Array(names.length);
    const ahead = new ReadAhead(names.length, READ_AHEAD, (i) => {
      const st = stats[i];
      return plans[i]?.readAhead && !(st instanceof Error) ? this.c.saver.readSmall(paths[i], st.size) : undefined;
    });
    const entries: SavedEntry[] = [];
    for (let i = 0; i < names.length; i++) {
      if (this.c.signal?.aborted) throw new AbortedError("backup interrupted");
      const st = stats[i];
      if (st instanceof Error) {
        this.warn(paths[i], `vanished or unreadable: ${st.message}`);
        continue;
      }
      // Plan the run of non-directories starting here (cache lookups must stay in walk order).
      if (plans[i] === undefined && !st.isDirectory()) await this.planRun(i, paths, components, names, stats, plans);
      const saved = await this.saveEntry(paths[i], [...components, names[i]], names[i], st, plans[i], () => ahead.take(i));
      if (saved) entries.push(saved);
    }
    return this.saveNodes(entries);
  }

  /** Look up the cache for each regular file from `start` up to the next directory, and schedule reads of small changed files. */
  private async planRun(start: number, paths: Buffer[], components: Buffer[], names: Buffer[], stats: (BigIntStats | Error)[], plans: (FilePlan | undefined)[]): Promise<void> {
    for (let i = start; i < names.length; i++) {
      const st = stats[i];
      if (st instanceof Error) continue;
      if (st.isDirectory()) break;
      const plan: FilePlan = { key: pathKey([...components, names[i]]) };
      plans[i] = plan;
      if (!st.isFile() || this.c.excludes.excluded(paths[i].toString("utf8"), false)) continue;
      plan.cached = await this.c.parentCache?.lookup(plan.key);
      if (plan.cached && this.unchanged(plan.cached, st)) continue;
      plan.readAhead = st.size <= BigInt(this.c.saver.smallFileLimit);
    }
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

  async saveEntry(abs: Buffer, components: Buffer[], name: Buffer, st?: BigIntStats, plan?: FilePlan, prefetched?: () => Promise<SmallFileRead | undefined>): Promise<SavedEntry | undefined> {
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
    if (!plan) {
      plan = { key: pathKey(components) };
      plan.cached = await this.c.parentCache?.lookup(plan.key);
    }
    return this.saveFile(abs, node, st, plan, prefetched);
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

  private async saveFile(abs: Buffer, node: TreeNode, st: BigIntStats, plan: FilePlan, prefetched?: () => Promise<SmallFileRead | undefined>): Promise<SavedEntry | undefined> {
    const { cached, key } = plan;
    const counters = this.c.counters;
    if (cached && this.unchanged(cached, st)) {
      node.size = cached.size;
      node.content = cached.content as BlobId[];
      counters.filesUnchanged++;
    } else {
      try {
        const small = await prefetched?.();
        const saved = small ? await this.c.saver.storeSmall(small, st) : await this.c.saver.saveLarge(abs, st, this.c.signal);
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
