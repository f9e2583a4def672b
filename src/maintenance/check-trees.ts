import { IntegrityError } from "../core/errors.js";
import { BlobType, blobTypeName, type BlobId } from "../core/ids.js";
import type { BlobIndex } from "../repository/blob-index.js";
import type { BlobReader } from "../repository/blob-reader.js";
import { joinDisplay } from "../repository/format/display-path.js";
import { nameProblem } from "../repository/format/safe-name.js";
import { decodeSkeleton, type Skeleton } from "../repository/format/skeleton.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import { nodeNameBytes, type Tree, type TreeNode } from "../repository/format/tree.js";
import { decodeTree } from "../repository/format/tree-codec.js";
import type { CheckProblem } from "./check-problem.js";

/** A skeleton read for a directory: what prune will keep of it (docs/FORMAT.md §Skeletons). */
interface ReadSkeleton {
  id: BlobId;
  body: Skeleton;
}

/** The skeletons of a directory's subdirectories by the tree each describes; `complete` is false when one was unreadable. */
interface Children {
  byTree: Map<string, ReadSkeleton>;
  complete: boolean;
}

const OMITTED =
  "but the snapshot's skeletons omit it: prune keeps only what skeletons list, so the next prune may delete it";

/**
 * check --read-data with the identity (docs/FORMAT.md §Trees, §Skeletons):
 * decode every tree a snapshot reaches and report, naming the snapshot, the
 * path and the blob, what restore would refuse (names, duplicates), file
 * sizes that disagree with their content blobs, blobs of the wrong type, and
 * blobs a tree needs that the snapshot's skeletons omit. Each directory is
 * judged with the skeleton that stands for it, once per (skeleton, tree)
 * pair: a directory shared by many snapshots is read once. A blob that cannot
 * be read is not reported here: the skeleton walk and the pack verification
 * name it.
 */
export class TreeChecker {
  /** Problems under each (skeleton, tree) pair already judged. */
  private readonly judged = new Map<string, CheckProblem[]>();

  constructor(
    private readonly reader: BlobReader,
    private readonly index: BlobIndex,
    /** The report's problem list: new problems are added to it once, then gain snapshots. */
    private readonly problems: CheckProblem[],
  ) {}

  async checkSnapshot(s: Snapshot): Promise<void> {
    const found: CheckProblem[] = [];
    if (this.wrongType(s.tree, BlobType.Tree, "/", "the root directory", found)) return this.attribute(found, s);
    const skeleton = await this.readSkeleton(s.skeleton);
    if (skeleton && skeleton.body.tree !== s.tree) found.push(this.omitted(s.tree, "/"));
    found.push(...(await this.directory(s.tree, skeleton, "")));
    this.attribute(found, s);
  }

  private attribute(found: readonly CheckProblem[], s: Snapshot): void {
    for (const p of found) if (!p.snapshots!.includes(s.id)) p.snapshots!.push(s.id);
  }

  private problem(kind: string, key: string, message: string): CheckProblem {
    const p: CheckProblem = { kind, key, message, snapshots: [] };
    this.problems.push(p);
    return p;
  }

  private omitted(id: BlobId, path: string): CheckProblem {
    return this.problem("blob", id, `${path || "/"}: needed here, ${OMITTED}`);
  }

  /** Problems in the directory whose tree is `treeId` and below it, judged against `skeleton` when it was read. */
  private async directory(treeId: BlobId, skeleton: ReadSkeleton | undefined, path: string): Promise<CheckProblem[]> {
    const key = `${skeleton?.id ?? "-"}:${treeId}`;
    const known = this.judged.get(key);
    if (known) return known;
    const out: CheckProblem[] = [];
    // Entered before descending: content addressing rules out cycles, and this ends the walk even if one were met.
    this.judged.set(key, out);
    const tree = await this.readTree(treeId, path, out);
    if (!tree) return out;
    const children = skeleton && (await this.children(skeleton.body));
    const data = skeleton && new Set<string>(skeleton.body.data);
    const seen = new Set<string>();
    for (const node of tree.nodes) {
      const raw = nodeNameBytes(node);
      const at = joinDisplay(path, raw);
      const refused = nameProblem(raw);
      const name = raw.toString("latin1");
      // Restore skips a refused name and keeps the first of two equal names; so does this walk.
      if (refused) out.push(this.problem("tree", treeId, `${at}: ${refused}; restore refuses it`));
      else if (seen.has(name)) out.push(this.problem("tree", treeId, `${at}: duplicate name; restore keeps the first`));
      else {
        seen.add(name);
        if (node.type === "file") this.file(node, treeId, at, data, out);
        else if (node.type === "dir" && node.subtree !== undefined)
          out.push(...(await this.subdirectory(node.subtree, at, children, out)));
      }
    }
    return out;
  }

  private async subdirectory(
    subtree: BlobId,
    at: string,
    children: Children | undefined,
    out: CheckProblem[],
  ): Promise<CheckProblem[]> {
    if (this.wrongType(subtree, BlobType.Tree, at, "a directory", out)) return [];
    const child = children?.byTree.get(subtree);
    if (children?.complete && !child) out.push(this.omitted(subtree, at));
    return this.directory(subtree, child, at);
  }

  /** A file's content blobs: their type, their lengths against its size, and whether its skeleton lists them. */
  private file(node: TreeNode, treeId: string, at: string, data: Set<string> | undefined, out: CheckProblem[]): void {
    const content = node.content ?? [];
    let wrong = false;
    for (const id of content) wrong = this.wrongType(id, BlobType.Data, at, "file content", out) || wrong;
    if (wrong) return;
    let sum = 0;
    for (const id of content) {
      const loc = this.index.get(id);
      sum = loc && sum >= 0 ? sum + loc.rawLength : -1;
      if (data && !data.has(id)) out.push(this.omitted(id, at));
    }
    const size = node.size ?? 0;
    if (sum >= 0 && sum !== size)
      out.push(this.problem("tree", treeId, `${at}: size ${size} but its content blobs hold ${sum} bytes`));
  }

  /** Reports (and returns true) when the index holds `id` as another type than `want`. */
  private wrongType(id: BlobId, want: BlobType, at: string, as: string, out: CheckProblem[]): boolean {
    const loc = this.index.get(id);
    if (!loc || loc.type === want) return false;
    out.push(this.problem("blob", id, `${at}: used as ${as}, but it is a ${blobTypeName(loc.type)} blob`));
    return true;
  }

  private async readTree(id: BlobId, at: string, out: CheckProblem[]): Promise<Tree | undefined> {
    let bytes: Buffer;
    try {
      bytes = await this.reader.read(id);
    } catch (e) {
      if (e instanceof IntegrityError) return undefined; // named by the skeleton walk or the pack verification
      throw e;
    }
    try {
      return decodeTree(bytes, id);
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      out.push(this.problem("tree", id, `${at || "/"}: ${e.detail}`));
      return undefined;
    }
  }

  private async readSkeleton(id: BlobId): Promise<ReadSkeleton | undefined> {
    try {
      return { id, body: decodeSkeleton(await this.reader.read(id), id) };
    } catch (e) {
      if (e instanceof IntegrityError) return undefined; // the skeleton walk names it
      throw e;
    }
  }

  private async children(s: Skeleton): Promise<Children> {
    const byTree = new Map<string, ReadSkeleton>();
    let complete = true;
    for (const id of s.children) {
      const child = await this.readSkeleton(id);
      if (child) byTree.set(child.body.tree, child);
      else complete = false;
    }
    return { byTree, complete };
  }
}
