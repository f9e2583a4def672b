import { createHash } from "node:crypto";
import { IntegrityError } from "../../src/core/errors.js";
import { asBlobId, type BlobId } from "../../src/core/ids.js";
import { encodeName, type NodeType, type Tree, type TreeNode } from "../../src/repository/format/tree.js";
import type { SnapshotReader } from "../../src/restore/shared/snapshot-reader.js";

/** A piece of file content: text, bytes, or a run of zero bytes (one zero blob). */
export type Piece = string | Uint8Array | { zeros: number };

interface Common {
  name: string | Buffer;
  mode?: number;
  mtimeNs?: string;
  uid?: number;
  gid?: number;
  /** Merged into the node last: for crafted trees (wrong size, missing fields). */
  raw?: Partial<TreeNode>;
}

export type FakeEntry =
  | (Common & { type: "file"; content?: Piece[]; inode?: number; damaged?: boolean })
  | (Common & { type: "dir"; children?: FakeEntry[] })
  | (Common & { type: "symlink"; target: string | Buffer })
  | (Common & { type: Exclude<NodeType, "file" | "dir" | "symlink"> });

export const DEFAULT_MTIME_NS = "1700000000123456789";

/** In-memory SnapshotReader: content-addressed like the real one, with damage on demand. */
export class FakeReader implements SnapshotReader {
  readonly trees = new Map<BlobId, Tree>();
  readonly blobs = new Map<BlobId, Uint8Array>();
  readonly damaged = new Set<BlobId>();
  blobReads = 0;

  async loadTree(id: BlobId): Promise<Tree> {
    const tree = this.trees.get(id);
    if (tree === undefined || this.damaged.has(id)) throw new IntegrityError("tree", id, "damaged or missing");
    return structuredClone(tree);
  }

  async readBlob(id: BlobId): Promise<Uint8Array> {
    this.blobReads++;
    const blob = this.blobs.get(id);
    if (blob === undefined || this.damaged.has(id)) throw new IntegrityError("data blob", id, "damaged or missing");
    return blob;
  }
}

/**
 * A FakeReader that also says where blobs are stored, so restore orders its
 * writes by pack and splits files spanning packs (restore-window.ts). Each
 * blob is in its own pack unless `packOf` says otherwise; offsets follow the
 * order blobs were stored. Records the packs read and prefetched, in order, and what was announced.
 */
export class PackedFakeReader extends FakeReader {
  readonly packReads: number[] = [];
  readonly announced: BlobId[] = [];
  private readonly order = new Map<BlobId, number>();

  constructor(private readonly packOf: (blob: Uint8Array, seq: number) => number = (_, seq) => seq) {
    super();
  }

  storedAt(id: BlobId): { pack: number; offset: number; rawLength: number } | undefined {
    const blob = this.blobs.get(id);
    if (blob === undefined) return undefined;
    let seq = this.order.get(id);
    if (seq === undefined) this.order.set(id, (seq = [...this.blobs.keys()].indexOf(id)));
    return { pack: this.packOf(blob, seq), offset: seq, rawLength: blob.length };
  }

  expectReads(ids: Iterable<BlobId>): void {
    this.announced.push(...ids);
  }

  /** Packs asked for ahead of their reads, in order. */
  readonly prefetched: number[] = [];

  prefetch(id: BlobId): void {
    const at = this.storedAt(id);
    if (at !== undefined) this.prefetched.push(at.pack);
  }

  override async readBlob(id: BlobId): Promise<Uint8Array> {
    const at = this.storedAt(id);
    if (at !== undefined) this.packReads.push(at.pack);
    return super.readBlob(id);
  }
}

/** Builds trees and blobs from a description; returns the reader and the root tree id. */
export function fakeSnapshot<R extends FakeReader = FakeReader>(
  entries: FakeEntry[],
  reader: R = new FakeReader() as R,
): { reader: R; root: BlobId } {
  const zeroIds = new Map<number, BlobId>();
  const putBlob = (piece: Piece): BlobId => {
    if (typeof piece === "object" && "zeros" in piece) {
      let id = zeroIds.get(piece.zeros);
      if (id === undefined) zeroIds.set(piece.zeros, (id = store(reader.blobs, Buffer.alloc(piece.zeros))));
      return id;
    }
    return store(reader.blobs, typeof piece === "string" ? Buffer.from(piece) : Buffer.from(piece));
  };
  const putTree = (list: FakeEntry[]): BlobId => {
    const tree: Tree = { nodes: list.map((e) => toNode(e, putBlob, putTree, reader)) };
    return store(reader.trees, tree);
  };
  return { reader, root: putTree(entries) };
}

function toNode(
  e: FakeEntry,
  putBlob: (p: Piece) => BlobId,
  putTree: (l: FakeEntry[]) => BlobId,
  reader: FakeReader,
): TreeNode {
  const name = encodeName(typeof e.name === "string" ? Buffer.from(e.name) : e.name);
  const node: TreeNode = {
    ...name,
    type: e.type,
    mode: e.mode ?? (e.type === "dir" ? 0o755 : e.type === "symlink" ? 0o777 : 0o644),
    uid: e.uid ?? process.getuid?.() ?? 0,
    gid: e.gid ?? process.getgid?.() ?? 0,
    mtimeNs: e.mtimeNs ?? DEFAULT_MTIME_NS,
  };
  if (e.type === "file") Object.assign(node, fileFields(e, putBlob, reader));
  if (e.type === "dir") node.subtree = putTree(e.children ?? []);
  if (e.type === "symlink") Object.assign(node, targetFields(e.target));
  return { ...node, ...e.raw };
}

function fileFields(
  e: Extract<FakeEntry, { type: "file" }>,
  putBlob: (p: Piece) => BlobId,
  reader: FakeReader,
): Partial<TreeNode> {
  const content = (e.content ?? []).map(putBlob);
  if (e.damaged) for (const id of content) reader.damaged.add(id);
  const size = (e.content ?? []).reduce((n, p) => n + pieceLength(p), 0);
  const links = e.inode === undefined ? {} : { links: 2, dev: 1, ino: e.inode };
  return { size, content, ...links };
}

function targetFields(target: string | Buffer): Partial<TreeNode> {
  const enc = encodeName(typeof target === "string" ? Buffer.from(target) : target);
  return enc.name !== undefined ? { target: enc.name } : { targetB64: enc.nameB64 };
}

function pieceLength(p: Piece): number {
  if (typeof p === "string") return Buffer.byteLength(p);
  return "zeros" in p ? p.zeros : p.length;
}

function store<T>(map: Map<BlobId, T>, value: T): BlobId {
  const bytes = value instanceof Uint8Array ? value : Buffer.from(JSON.stringify(value));
  const id = asBlobId(createHash("sha256").update(bytes).digest("hex"));
  map.set(id, value);
  return id;
}
