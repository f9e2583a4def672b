import { describe, expect, it } from "vitest";
import { IntegrityError } from "../../../src/core/errors.js";
import { decodeTree, encodeTree } from "../../../src/repository/format/tree-codec.js";
import type { TreeNode } from "../../../src/repository/format/tree.js";
import type { BlobId } from "../../../src/core/ids.js";

const hex = (c: string) => c.repeat(64) as BlobId;
const file: TreeNode = {
  name: "a.txt",
  type: "file",
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  mtimeNs: "1700000000123456789",
  size: 3,
  content: [hex("a")],
};
const dir: TreeNode = { nameB64: "/w==", type: "dir", mode: 0o755, uid: 0, gid: 0, mtimeNs: "-5", subtree: hex("b") };
const link: TreeNode = {
  name: "l",
  type: "symlink",
  mode: 0o777,
  uid: 0,
  gid: 0,
  mtimeNs: "0",
  target: "a.txt",
  links: 2,
  dev: 2049,
  ino: 12,
};
const raw = (body: unknown) => Buffer.from(JSON.stringify(body));

describe("decodeTree", () => {
  it("reads back what encodeTree wrote", () => {
    const nodes = [file, dir, link];
    expect(decodeTree(encodeTree({ nodes }), "tree/x")).toEqual({ nodes });
  });

  it("drops node keys it does not know, as the schema does, even ones named like Object's own", () => {
    const t = decodeTree(
      raw({
        version: 1,
        nodes: [{ ...file, later: 1 }, JSON.parse(`{"constructor":1,${JSON.stringify(link).slice(1)}`)],
      }),
      "tree/x",
    );
    expect(t.nodes).toEqual([file, link]);
  });

  it.each([
    ["an unknown node type", { ...file, type: "door" }],
    ["a mode above 0o7777", { ...file, mode: 0o10000 }],
    ["a negative uid", { ...file, uid: -1 }],
    ["an mtime that is not decimal", { ...file, mtimeNs: "12x" }],
    ["a content ID that is not 64 hex digits", { ...file, content: ["abc"] }],
    ["a subtree in capitals", { ...dir, subtree: "B".repeat(64) }],
    ["a missing gid", (({ gid: _gid, ...rest }) => rest)(file)],
    ["links of 0", { ...link, links: 0 }],
    ["a size beyond 2^53", { ...file, size: 2 ** 60 }],
  ])("rejects %s, naming the tree", (_what, node) => {
    const bytes = raw({ version: 1, nodes: [node] });
    expect(() => decodeTree(bytes, "tree/bad")).toThrow(IntegrityError);
    expect(() => decodeTree(bytes, "tree/bad")).toThrow(/tree\/bad/);
  });
});
