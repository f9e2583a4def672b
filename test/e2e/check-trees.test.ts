/**
 * `check --read-data` with the identity decodes every tree a snapshot reaches
 * and reports what a restore would refuse or a prune would lose (docs/FORMAT.md
 * §Trees and §Skeletons): names restore refuses (`..`, `/`, NUL, empty,
 * duplicates), a file size that disagrees with its content blobs, a blob of
 * the wrong type (a tree as file content, a data blob as a subdirectory), and
 * a blob a tree needs that the snapshot's skeletons omit. Each problem names
 * the snapshot, the path and the blob. The snapshots are written with the
 * agent key through the library (what any holder of it, or a buggy writer,
 * could commit); check is the real CLI.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { BlobType, type BlobId } from "../../src/core/ids.js";
import { Repository } from "../../src/repository/repository.js";
import { encodeSkeleton, type Skeleton } from "../../src/repository/format/skeleton.js";
import type { TreeNode } from "../../src/repository/format/tree.js";
import { encodeTree } from "../../src/repository/format/tree-codec.js";
import type { Uploader } from "../../src/repository/uploader.js";
import { LocalStorage } from "../../src/storage/local/local-storage.js";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";

let ws: Workspace;
let repo: Repository;
const B = (s: string) => Buffer.from(s, "utf8");
const payload = B("payload\n");
const other = B("another file\n");

const node = (name: string, over: Partial<TreeNode>): TreeNode =>
  ({ name, type: "file", mode: 0o644, uid: 0, gid: 0, mtimeNs: "1700000000000000000", ...over }) as TreeNode;
const file = (name: string, content: Buffer[], size = content.reduce((n, c) => n + c.length, 0)): TreeNode =>
  node(name, { size, content: content.map((c) => repo.blobId(BlobType.Data, c)) });

async function addTree(up: Uploader, nodes: TreeNode[]): Promise<BlobId> {
  const bytes = encodeTree({ nodes });
  const id = repo.blobId(BlobType.Tree, bytes);
  await up.add(BlobType.Tree, id, bytes);
  return id;
}

async function addSkeleton(up: Uploader, s: Skeleton): Promise<BlobId> {
  const bytes = encodeSkeleton(s);
  const id = repo.blobId(BlobType.Skeleton, bytes);
  await up.add(BlobType.Skeleton, id, bytes);
  return id;
}

/** Commit a snapshot whose root tree and skeleton `build` writes. */
async function crafted(build: (up: Uploader) => Promise<{ tree: BlobId; skeleton: BlobId }>): Promise<string> {
  const { result } = await repo.withUploader(async (up) => {
    for (const c of [payload, other]) await up.add(BlobType.Data, repo.blobId(BlobType.Data, c), c);
    return build(up);
  });
  return repo.saveSnapshot({
    version: 1,
    time: new Date().toISOString(),
    host: "mallory",
    paths: ["/"],
    tags: [],
    ...result,
    program: "crafted",
  });
}

let snapshots: Record<string, string>;
let ids: Record<string, BlobId>;

beforeAll(async () => {
  ws = await initWorkspace("check-trees");
  writeFileSync(join(ws.src, "honest.txt"), "an honest snapshot\n");
  await cliOk(["backup", ...repoFlags(ws), ws.src]);
  const agentKey = AgentKey.parse(readFileSync(ws.agentKey, "utf8"), ws.agentKey);
  repo = await Repository.open(new LocalStorage(ws.repo), { agentKey });
  ids = {};
  const data = [payload, other].map((c) => repo.blobId(BlobType.Data, c));
  snapshots = {
    names: await crafted(async (up) => {
      const tree = await addTree(up, [
        file("", [payload]),
        file("..", [payload]),
        file("a/b", [payload]),
        file("dup", [payload]),
        file("dup", [other]),
        file("nul\u0000byte", [payload]),
        file("ok", [payload]),
      ]);
      ids.names = tree;
      return { tree, skeleton: await addSkeleton(up, { tree, children: [], data }) };
    }),
    sizes: await crafted(async (up) => {
      const tree = await addTree(up, [file("short", [payload], 100)]);
      ids.sizes = tree;
      return { tree, skeleton: await addSkeleton(up, { tree, children: [], data }) };
    }),
    types: await crafted(async (up) => {
      const inner = await addTree(up, [file("x", [payload])]);
      const innerSkeleton = await addSkeleton(up, { tree: inner, children: [], data: [data[0]] });
      const tree = await addTree(up, [
        node("dir-is-data", { type: "dir", subtree: data[1] }),
        node("file-is-tree", { size: 10, content: [inner] }),
      ]);
      ids.inner = inner;
      return { tree, skeleton: await addSkeleton(up, { tree, children: [innerSkeleton], data }) };
    }),
    omits: await crafted(async (up) => {
      const sub = await addTree(up, [file("deep", [other])]);
      const tree = await addTree(up, [node("sub", { type: "dir", subtree: sub }), file("f", [payload])]);
      ids.sub = sub;
      // Neither the subdirectory nor the file's blob: a prune walking skeletons would delete them.
      return { tree, skeleton: await addSkeleton(up, { tree, children: [], data: [] }) };
    }),
  };
}, 60_000);

afterAll(async () => {
  await repo?.close();
  await ws?.cleanup();
});

describe("check --read-data decodes every tree", () => {
  it("names each hostile entry with its snapshot, path and blob, and exits 1", async () => {
    const r = await runCli(["check", "--read-data", ...repoFlags(ws, { identity: ws.identity })]);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |unexpected error/);
    expect(r.code, r.stdout).toBe(1);
    const lines = r.stdout.split("\n");
    const has = (re: RegExp, snap: string) =>
      expect(
        lines.some((l) => re.test(l) && l.includes(snap.slice(0, 8))),
        `${re} for snapshot ${snap.slice(0, 8)} in\n${r.stdout}`,
      ).toBe(true);
    const t = (id: string) => `tree ${id}: `;
    has(new RegExp(`${t(ids.names)}/: empty name`), snapshots.names);
    has(new RegExp(`${t(ids.names)}/\\.\\.: name '\\.\\.' is not allowed`), snapshots.names);
    has(new RegExp(`${t(ids.names)}/a\\\\x2fb: name contains '/'`), snapshots.names);
    has(new RegExp(`${t(ids.names)}/nul\\\\x00byte: name contains a NUL byte`), snapshots.names);
    has(new RegExp(`${t(ids.names)}/dup: duplicate name`), snapshots.names);
    has(new RegExp(`${t(ids.sizes)}/short: size 100 .* 8 bytes`), snapshots.sizes);
    has(new RegExp(`blob ${repo.blobId(BlobType.Data, other)}: /dir-is-data: .*data blob`), snapshots.types);
    has(new RegExp(`blob ${ids.inner}: /file-is-tree: .*tree blob`), snapshots.types);
    has(new RegExp(`blob ${ids.sub}: /sub: .*skeleton.*omit`), snapshots.omits);
    has(new RegExp(`blob ${repo.blobId(BlobType.Data, payload)}: /f: .*skeleton.*omit`), snapshots.omits);
    // The honest snapshot shares nothing wrong: no line names only it.
    expect(lines.filter((l) => l.startsWith("error:")).length).toBe(10);
  });

  it("leaves trees alone without --read-data (no identity needed)", async () => {
    const r = await runCli(["check", ...repoFlags(ws)]);
    expect(r.code, r.stdout).toBe(0);
  });
});
