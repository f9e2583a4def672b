import { lstat } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { UsageError, type CairnError } from "../core/errors.js";
import { PROGRAM } from "../core/version.js";
import type { BlobId } from "../core/ids.js";
import type { BackupRepository } from "./backup-repository.js";
import { ParentCacheReader } from "./parent-cache/parent-cache.js";
import { BestEffortCacheWriter } from "./best-effort-cache.js";
import type { Snapshot, SnapshotSummary } from "../repository/format/snapshot-record.js";
import type { TreeNode } from "../repository/format/tree.js";
import { baseNode } from "./fs-node.js";
import { newCounters, type BackupEvents, type BackupWarning } from "./progress.js";
import { TreeBuilder, type SavedDir } from "./tree-builder.js";
import { BackupSession } from "./backup-session.js";
import { snapshotSummary } from "./snapshot-summary.js";

export interface BackupOptions extends BackupEvents {
  host?: string;
  tags?: string[];
  time?: Date;
  excludes?: string[];
  /** Directory for this repository's local caches; no cache when undefined. */
  cacheDir?: string;
  /**
   * The parent cache could not be created, written or published: the backup
   * went on without it (the next one reads every file again). Said once.
   */
  onCacheProblem?(problem: CairnError): void;
  signal?: AbortSignal;
  /** Worker threads for compression and encryption; 0 runs them on the main thread. Default: one per core. */
  workers?: number;
}

export interface BackupResult {
  snapshotId: string;
  snapshot: Snapshot;
  summary: SnapshotSummary;
  warnings: BackupWarning[];
}

/** A directory on the way from `/` to a backed-up path, whose node is built from its real metadata. */
interface VirtualDir {
  abs: Buffer;
  children: Map<string, VirtualDir | "root">;
}

/**
 * Back up `paths` as one snapshot (the files source). The snapshot's tree
 * mirrors absolute paths from `/`, like restic. Write order: packs, index,
 * then the snapshot record (FORMAT.md §Write order).
 */
export async function backupPaths(
  repo: BackupRepository,
  paths: readonly string[],
  o: BackupOptions = {},
): Promise<BackupResult> {
  if (paths.length === 0) throw new UsageError("nothing to back up: give at least one path");
  const started = Date.now();
  const roots = normaliseRoots(paths);
  for (const r of roots)
    await lstat(r).catch((e: Error) => {
      throw new UsageError(`cannot back up ${r}: ${e.message}`);
    });
  const host = o.host ?? hostname();
  const parent = (await repo.listSnapshots(o.signal)).filter((s) => s.host === host && sameList(s.paths, roots)).at(-1);
  const cacheGen = "0";
  const parentCache = o.cacheDir && parent ? await ParentCacheReader.open(o.cacheDir, parent.id, cacheGen) : undefined;
  const cacheWriter = o.cacheDir
    ? await BestEffortCacheWriter.create(o.cacheDir, "backup", { generation: cacheGen }, (p) => o.onCacheProblem?.(p))
    : undefined;
  const counters = newCounters();
  const warnings: BackupWarning[] = [];
  const events: BackupEvents = {
    onWarning: (w) => {
      warnings.push(w);
      o.onWarning?.(w);
    },
    onProgress: o.onProgress,
  };
  const session = new BackupSession(repo, o.workers);
  try {
    const { result: root, uploader } = await repo.withUploader(
      async (up) => {
        const { saver, walk } = session.tools(up, counters, {
          excludes: o.excludes,
          parentCache,
          signal: o.signal,
          onProgress: o.onProgress,
        });
        const builder = new TreeBuilder({
          agent: repo.agent,
          up,
          saver,
          walk,
          cacheWriter,
          counters,
          events,
          signal: o.signal,
        });
        return saveVirtual(builder, buildVirtualRoot(roots), []);
      },
      { codec: session.codec },
    );
    const summary = snapshotSummary(counters, uploader.stats, started);
    const record = {
      version: 1 as const,
      time: (o.time ?? repo.clock.now()).toISOString(),
      host,
      paths: roots,
      tags: o.tags ?? [],
      parent: parent?.id,
      tree: root.tree,
      skeleton: root.skeleton,
      summary,
      program: PROGRAM,
    };
    const snapshotId = await repo.saveSnapshot(record);
    await cacheWriter?.commit(snapshotId);
    return { snapshotId, snapshot: { ...record, id: snapshotId }, summary, warnings };
  } catch (e) {
    await cacheWriter?.abort();
    throw e;
  } finally {
    parentCache?.close();
    await session.close();
  }
}

/** Absolute, deduplicated, without paths inside other given paths; in tree order. */
export function normaliseRoots(paths: readonly string[]): string[] {
  const abs = [...new Set(paths.map((p) => resolve(p)))].sort((a, b) => Buffer.compare(key(a), key(b)));
  // A path inside another given path is already covered by it.
  return abs.filter((p) => !abs.some((q) => q !== p && (q === "/" || p.startsWith(q + "/"))));
}

function key(p: string): Buffer {
  return Buffer.from(p.split("/").filter(Boolean).join("\0"));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function buildVirtualRoot(roots: readonly string[]): VirtualDir | "root" {
  if (roots.includes("/")) return "root";
  const top: VirtualDir = { abs: Buffer.from("/"), children: new Map() };
  for (const r of roots) {
    const parts = r.split("/").filter(Boolean);
    let d = top;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) d.children.set(part, "root");
      else {
        const next = d.children.get(part);
        if (next === undefined || next === "root") {
          const nd: VirtualDir = { abs: Buffer.from("/" + parts.slice(0, i + 1).join("/")), children: new Map() };
          d.children.set(part, nd);
          d = nd;
        } else d = next;
      }
    });
  }
  return top;
}

/** Save the directories between `/` and the backed-up paths: each holds only the entries on the way. */
async function saveVirtual(b: TreeBuilder, v: VirtualDir | "root", components: Buffer[]): Promise<SavedDir> {
  if (v === "root") return b.saveDir(Buffer.from("/"), []);
  const names = [...v.children.keys()].map((n) => Buffer.from(n)).sort(Buffer.compare);
  const entries: { node: TreeNode; skeleton?: BlobId }[] = [];
  for (const name of names) {
    const child = v.children.get(name.toString())!;
    const abs = Buffer.concat([v.abs, v.abs.length > 1 ? Buffer.from("/") : Buffer.alloc(0), name]);
    if (child === "root") {
      const e = await b.saveEntry(abs, [...components, name], name);
      if (e) entries.push(e);
      continue;
    }
    const st = await lstat(abs, { bigint: true });
    const node = baseNode(name, st);
    const d = await saveVirtual(b, child, [...components, name]);
    node.subtree = d.tree;
    entries.push({ node, skeleton: d.skeleton });
  }
  return b.saveNodes(entries);
}
