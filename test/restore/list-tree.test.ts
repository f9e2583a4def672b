import { describe, expect, it } from "vitest";
import { CairnError } from "../../src/core/errors.js";
import { listTree } from "../../src/restore/list-tree.js";
import { fakeSnapshot } from "./fake-snapshot.js";

const { reader, root } = fakeSnapshot([
  {
    type: "dir",
    name: "b",
    children: [
      { type: "file", name: "z", content: ["z"] },
      { type: "dir", name: "a" },
    ],
  },
  { type: "file", name: "a", content: ["aaa"] },
  { type: "file", name: Buffer.from([0x66, 0xff]), content: ["x"] },
  { type: "symlink", name: "l", target: "b" },
  { type: "file", name: "new\nline" },
]);

async function paths(prefix?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of listTree(reader, root, prefix)) out.push(e.path);
  return out;
}

describe("listTree", () => {
  it("lists depth-first in stored order with escaped names", async () => {
    expect(await paths()).toEqual(["/b", "/b/z", "/b/a", "/a", "/f\\xff", "/l", "/new\\x0aline"]);
  });

  it("yields the nodes themselves", async () => {
    const entries = [];
    for await (const e of listTree(reader, root)) entries.push(e);
    expect(entries[3].node).toMatchObject({ type: "file", size: 3 });
    expect(entries[5].node).toMatchObject({ type: "symlink", target: "b" });
  });

  it("lists a subtree, or one entry, under a prefix", async () => {
    expect(await paths("/b")).toEqual(["/b", "/b/z", "/b/a"]);
    expect(await paths("b/")).toEqual(["/b", "/b/z", "/b/a"]);
    expect(await paths("/a")).toEqual(["/a"]);
    expect(await paths("/f\\xff")).toEqual(["/f\\xff"]);
  });

  it("fails clearly on a missing prefix", async () => {
    await expect(paths("/nope")).rejects.toThrow(CairnError);
    await expect(paths("/nope")).rejects.toThrow("no such file in snapshot: /nope");
    await expect(paths("/a/below-a-file")).rejects.toThrow(/no such file in snapshot.*not a directory/);
  });
});
