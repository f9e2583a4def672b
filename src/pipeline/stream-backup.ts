import { hostname } from "node:os";
import type { BackupRepository } from "./backup-repository.js";
import { encodeName, nodeNameBytes, type TreeNode } from "../repository/format/tree.js";
import { PROGRAM } from "../core/version.js";
import type { BackupOptions, BackupResult } from "./backup.js";
import { FileSaver } from "./file-saver.js";
import { newCounters, type BackupEvents, type BackupWarning } from "./progress.js";
import { TreeBuilder, type SavedEntry } from "./tree-builder.js";
import { BackupSession } from "./backup-session.js";
import { snapshotSummary } from "./snapshot-summary.js";

/** Ownership and permissions of an entry that has no file on disk. */
export interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * One entry of a composed snapshot's tree:
 * - `stream`: a regular file whose bytes come from `data` (a command's stdout,
 *   a buffer). `data` must throw when its producer failed: nothing is recorded then.
 * - `path`: a file or directory on disk, saved under `name` with everything below it.
 * - `dir`: a directory made of other entries.
 */
export type ComposedEntry =
  | { kind: "stream"; name: string; data: AsyncIterable<Uint8Array>; meta?: EntryMeta }
  | { kind: "path"; name: string; abs: string }
  | {
      kind: "dir";
      name: string;
      entries: readonly ComposedEntry[] | (() => Promise<ComposedEntry[]>);
      meta?: EntryMeta;
    };

export interface ComposedOptions extends BackupOptions {
  /** Recorded as the snapshot's paths: the key that finds the parent and groups retention. */
  paths: string[];
  /** Recorded as the snapshot's source (a short, secret-free description). */
  source?: string;
  /** Exclude patterns for the `path` entries, matched against their absolute paths on disk. */
  excludes?: string[];
  /**
   * Warnings that are expected for this source and not a partial backup (a
   * database's files changing or vanishing while copied in backup mode, which
   * its WAL replay repairs): dropped instead of recorded.
   */
  expected?: (w: BackupWarning) => boolean;
}

/**
 * Back up entries that are not one files tree (a dump stream, a data
 * directory plus the WAL and backup_label a database hands back) as one
 * snapshot whose root holds exactly those entries. The snapshot record is
 * written last, after every entry's data ended well: a stream that throws
 * leaves no snapshot (FORMAT.md §Write order).
 */
export async function backupComposed(
  repo: BackupRepository,
  entries: readonly ComposedEntry[],
  o: ComposedOptions,
): Promise<BackupResult> {
  const started = Date.now();
  const host = o.host ?? hostname();
  const parent = (await repo.listSnapshots(o.signal))
    .filter((s) => s.host === host && s.paths.join("\0") === o.paths.join("\0"))
    .at(-1);
  const counters = newCounters();
  const warnings: BackupWarning[] = [];
  const onWarning = (w: BackupWarning) => {
    if (o.expected?.(w)) return;
    warnings.push(w);
    o.onWarning?.(w);
  };
  const events: BackupEvents = { onWarning, onProgress: o.onProgress };
  const session = new BackupSession(repo, o.workers);
  try {
    const { result: root, uploader } = await repo.withUploader(
      async (up) => {
        const { saver, walk } = session.tools(up, counters, {
          excludes: o.excludes,
          signal: o.signal,
          onProgress: o.onProgress,
        });
        const builder = new TreeBuilder({ agent: repo.agent, up, saver, walk, counters, events, signal: o.signal });
        const composer = new Composer(builder, saver, counters, repo.clock.now());
        return builder.saveNodes(await composer.saveAll(entries));
      },
      { codec: session.codec },
    );
    const summary = { ...snapshotSummary(counters, uploader.stats, started), warnings: warnings.length };
    const record = {
      version: 1 as const,
      time: (o.time ?? repo.clock.now()).toISOString(),
      host,
      paths: o.paths,
      source: o.source,
      tags: o.tags ?? [],
      parent: parent?.id,
      tree: root.tree,
      skeleton: root.skeleton,
      summary,
      program: PROGRAM,
    };
    const snapshotId = await repo.saveSnapshot(record);
    return { snapshotId, snapshot: { ...record, id: snapshotId }, summary, warnings };
  } finally {
    await session.close();
  }
}

/**
 * Saves composed entries in the caller's order, so a stream listed later can
 * depend on the earlier ones being read (PostgreSQL's backup_label exists only
 * once the data files are copied); trees then list them in raw-byte name order.
 */
class Composer {
  private readonly defaultMeta: EntryMeta = { mode: 0o600, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

  constructor(
    private readonly builder: TreeBuilder,
    private readonly saver: FileSaver,
    private readonly counters: ReturnType<typeof newCounters>,
    private readonly now: Date,
  ) {}

  async saveAll(entries: readonly ComposedEntry[]): Promise<SavedEntry[]> {
    const out: SavedEntry[] = [];
    for (const e of entries) {
      const saved = await this.save(e);
      if (saved) out.push(saved);
    }
    return out.sort((a, b) => Buffer.compare(nodeNameBytes(a.node), nodeNameBytes(b.node)));
  }

  private async save(e: ComposedEntry): Promise<SavedEntry | undefined> {
    const name = Buffer.from(e.name);
    if (e.kind === "path") return this.builder.saveEntry(Buffer.from(e.abs), [name], name);
    if (e.kind === "dir") {
      this.counters.dirs++;
      const d = await this.builder.saveNodes(
        await this.saveAll(typeof e.entries === "function" ? await e.entries() : e.entries),
      );
      return {
        node: { ...this.node(name, "dir", e.meta ?? { ...this.defaultMeta, mode: 0o700 }), subtree: d.tree },
        skeleton: d.skeleton,
      };
    }
    const saved = await this.saver.saveStream(e.data);
    this.counters.filesNew++;
    this.counters.bytesTotal += saved.size;
    return {
      node: { ...this.node(name, "file", e.meta ?? this.defaultMeta), size: saved.size, content: saved.content },
    };
  }

  private node(name: Buffer, type: "file" | "dir", m: EntryMeta): TreeNode {
    return {
      ...encodeName(name),
      type,
      mode: m.mode & 0o7777,
      uid: m.uid,
      gid: m.gid,
      mtimeNs: (BigInt(this.now.getTime()) * 1_000_000n).toString(),
    };
  }
}
