import { mkdirSync, symlinkSync } from "node:fs";
import type { BlobId } from "../core/ids.js";
import { nodeNameBytes, nodeTargetBytes, type TreeNode } from "../repository/format/tree.js";
import { checkAborted } from "./shared/check-aborted.js";
import { joinDisplay } from "../repository/format/display-path.js";
import type { Entry } from "./shared/entry.js";
import type { FileRestorer } from "./file-restorer.js";
import type { IncludeFilter } from "./include-filter.js";
import type { MetadataWriter } from "./metadata-writer.js";
import type { RestoreOutcome } from "./restore-outcome.js";
import type { RestoreWindow } from "./restore-window.js";
import { safeName } from "../repository/format/safe-name.js";
import type { SnapshotReader } from "./shared/snapshot-reader.js";
import type { SpecialFiles } from "./special-files.js";

const SLASH = Buffer.from("/");

/** A directory whose contents are to be restored. */
export interface DirJob {
  tree: BlobId;
  path: Buffer;
  /** Display path, "" for the snapshot root. */
  display: string;
  filter: IncludeFilter | "all";
  /** Trees on the way down: a repeat would be a cycle (only possible with a broken reader). */
  ancestors: ReadonlySet<BlobId>;
}

/** The parts of a restore the walk hands entries to. */
export interface WalkParts {
  reader: Pick<SnapshotReader, "loadTree">;
  /** Plain files, restored a window at a time in stored order. */
  window: Pick<RestoreWindow, "queue">;
  /** Hardlinked files, restored in walk order so later links find the first copy. */
  files: Pick<FileRestorer, "restore">;
  specials: Pick<SpecialFiles, "restore">;
  metadata: Pick<MetadataWriter, "applyToPath">;
  outcome: Pick<RestoreOutcome, "failed" | "guard" | "dirCreated" | "symlinkCreated">;
  signal: AbortSignal | undefined;
}

/**
 * Walks the snapshot's trees and creates its directories, handing every
 * other entry to the part that restores it. Symlinks and directory metadata
 * wait for the phases after the walk (createSymlinks, finishDirs), when every
 * file and directory exists.
 */
export class RestoreWalk {
  /** Created after every file and directory, so nothing is ever written through one. */
  private readonly symlinks: Entry[] = [];
  /** In creation (pre-order) order; finished in reverse so contents come before parents. */
  private readonly dirs: Entry[] = [];

  constructor(private readonly parts: WalkParts) {}

  /**
   * Restores a directory's contents depth-first. Every failure is confined to
   * its entry: it is recorded and the walk moves on. Only abort stops the walk.
   * Directories are only descended into when this run created them, so a path
   * already in the target (possibly a symlink) is never written through.
   */
  async restoreDir(job: DirJob): Promise<void> {
    const { outcome, signal } = this.parts;
    let nodes: TreeNode[];
    try {
      nodes = (await this.parts.reader.loadTree(job.tree)).nodes;
    } catch (err) {
      // Without the root tree there is nothing to restore: that is the caller's error, not an entry's.
      if (job.display === "") throw err;
      outcome.failed(job.display, err);
      return;
    }
    const seen = new Set<string>();
    for (const node of nodes) {
      checkAborted(signal);
      const display = joinDisplay(job.display, nodeNameBytes(node));
      let child: Child | undefined;
      try {
        child = childEntry(job, node, seen);
      } catch (err) {
        outcome.failed(display, err);
        continue;
      }
      if (child === undefined) continue;
      // Plain files wait for their window (restore-window.ts); hardlinked ones go in order, so later links find the first copy.
      if (node.type === "file" && !(node.links !== undefined && node.links > 1))
        await this.parts.window.queue(child.entry);
      else await outcome.guard(display, () => this.restoreNode(child.entry, job, child.filter));
    }
  }

  /** Phase two: every directory and file exists, so links can no longer redirect a write. */
  async createSymlinks(): Promise<void> {
    const { outcome, metadata, signal } = this.parts;
    for (const e of this.symlinks) {
      checkAborted(signal);
      try {
        symlinkSync(nodeTargetBytes(e.node) as Buffer, e.path); // synchronous for the reason directories are (restoreSubdir)
      } catch (err) {
        outcome.failed(e.display, err);
        continue;
      }
      outcome.symlinkCreated();
      await metadata.applyToPath(e);
    }
  }

  /** Phase three: reverse creation order puts every directory after its contents. */
  async finishDirs(): Promise<void> {
    for (const e of [...this.dirs].reverse()) await this.parts.metadata.applyToPath(e);
  }

  private async restoreNode(e: Entry, parent: DirJob, filter: IncludeFilter | "all"): Promise<void> {
    switch (e.node.type) {
      case "dir":
        return this.restoreSubdir(e, parent, filter);
      case "file":
        return this.parts.files.restore(e);
      case "symlink":
        if (e.node.target === undefined && e.node.targetB64 === undefined) throw new Error("symlink without a target");
        this.symlinks.push(e);
        return;
      default:
        return this.parts.specials.restore(e);
    }
  }

  private async restoreSubdir(e: Entry, parent: DirJob, filter: IncludeFilter | "all"): Promise<void> {
    const tree = e.node.subtree;
    const ancestors = new Set(parent.ancestors).add(parent.tree);
    if (tree !== undefined && ancestors.has(tree)) throw new Error("directory contains itself (tree cycle)");
    // 0o700 while filling it: the stored mode (maybe read-only) is applied after its contents.
    // Synchronous, as the directory metadata is (metadata-writer.ts): a thread-pool round trip costs more than the mkdir.
    mkdirSync(e.path, 0o700);
    this.parts.outcome.dirCreated();
    this.dirs.push(e);
    if (tree === undefined) return;
    await this.restoreDir({ tree, path: e.path, display: e.display, filter, ancestors });
  }
}

interface Child {
  entry: Entry;
  filter: IncludeFilter | "all";
}

/** Checks a child's name in walk order (a duplicate keeps the first entry); undefined when the include filter skips it. */
function childEntry(job: DirJob, node: TreeNode, seen: Set<string>): Child | undefined {
  const raw = safeName(nodeNameBytes(node), job.display);
  const display = joinDisplay(job.display, raw);
  // latin1 maps bytes 1:1 to code units: an exact byte-wise key.
  const key = raw.toString("latin1");
  if (seen.has(key)) throw new Error("duplicate name in a snapshot directory; the first entry was kept");
  seen.add(key);
  const filter = job.filter === "all" ? "all" : job.filter.child(raw);
  if (filter === undefined || (filter !== "all" && node.type !== "dir")) return undefined;
  return { entry: { path: Buffer.concat([job.path, SLASH, raw]), display, node }, filter };
}
