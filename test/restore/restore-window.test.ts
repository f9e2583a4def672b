import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AbortedError } from "../../src/core/errors.js";
import type { BlobId } from "../../src/core/ids.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { fakeSnapshot, PackedFakeReader, type FakeEntry } from "./fake-snapshot.js";
import { useTempDirs } from "./helpers.js";

/**
 * Restore writes a window of files in the order their data is stored, and a
 * file whose blobs lie in several packs in parts (restore-window.ts,
 * split-file.ts), so each pack is read in one stretch. A reader that says
 * where blobs lie (PackedFakeReader) records which pack each read came from.
 */
const tempDir = useTempDirs();

/** How many times the sequence of packs read switches from one pack to another. */
function switches(reads: number[]): number {
  return reads.filter((p, i) => i > 0 && p !== reads[i - 1]).length;
}

/** Pack by the blob's first byte, so a test says where each piece goes ("a..." in pack 97). */
const byFirstByte = (blob: Uint8Array) => blob[0] ?? 0;

describe("restore by pack", () => {
  it("restores files interleaved over packs in walk order pack by pack, announces every read first and prefetches the next pack", async () => {
    const files: FakeEntry[] = [];
    for (let i = 0; i < 60; i++) files.push({ type: "file", name: `f${i}`, content: [`${"abc"[i % 3]}-file-${i}`] });
    const { reader, root } = fakeSnapshot(
      [{ type: "dir", name: "d", children: files }],
      new PackedFakeReader(byFirstByte),
    );
    const target = tempDir();
    const summary = await restoreSnapshot(reader, root, target);
    expect(summary.errors).toEqual([]);
    expect(summary.files).toBe(60);
    for (let i = 0; i < 60; i++)
      expect(readFileSync(join(target, "d", `f${i}`), "utf8")).toBe(`${"abc"[i % 3]}-file-${i}`);
    // Walk order would switch packs 59 times (a, b, c, a, b, c...).
    expect(switches(reader.packReads)).toBe(2);
    expect(reader.packReads.slice(0, 20)).toEqual(Array(20).fill(97));
    // Entering each pack, the next one is asked for, so its fetch overlaps the writes.
    expect(reader.prefetched).toEqual([98, 99]);
    const contentIds = (await reader.loadTree(reader.trees.get(root)!.nodes[0].subtree!)).nodes.flatMap(
      (n) => n.content ?? [],
    );
    expect([...reader.announced].sort()).toEqual([...contentIds].sort());
  });

  it("writes a file spanning packs in parts, each with its pack, and the file comes out whole with its metadata", async () => {
    // "big" alternates between packs a and b: four parts. The small files fill both packs around it.
    const big = ["a1-".repeat(500), "b1-".repeat(400), "a2-".repeat(300), "b2-".repeat(200)];
    const { reader, root } = fakeSnapshot(
      [
        { type: "file", name: "a-first", content: ["a-first"] },
        { type: "file", name: "big", content: big, mode: 0o640, mtimeNs: "1600000000987654000" },
        { type: "file", name: "b-small", content: ["b-small"] },
        { type: "file", name: "a-last", content: ["a-last"] },
      ],
      new PackedFakeReader(byFirstByte),
    );
    const target = tempDir();
    const progress: number[] = [];
    const summary = await restoreSnapshot(reader, root, target, { onProgress: (p) => progress.push(p.files) });
    expect(summary.errors).toEqual([]);
    expect(summary.files).toBe(4);
    expect(summary.bytes).toBe(big.join("").length + "a-first".length + "b-small".length + "a-last".length);
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(readFileSync(join(target, "big"), "utf8")).toBe(big.join(""));
    const st = statSync(join(target, "big"));
    expect(st.mode & 0o7777).toBe(0o640);
    expect(Math.round(st.mtimeMs * 1000)).toBe(1600000000987654);
    // Each blob read once (parts open their file first, so small files' reads may come between theirs).
    expect([...reader.packReads].sort()).toEqual([97, 97, 97, 97, 98, 98, 98]);
  });

  it("a damaged part fails only its file, which is not left behind, and the files sharing its packs are restored", async () => {
    const { reader, root } = fakeSnapshot(
      [
        { type: "file", name: "a-before", content: ["a-before"] },
        { type: "file", name: "spans", content: ["a-part", "b-part", "a-again"] },
        { type: "file", name: "b-after", content: ["b-after"] },
      ],
      new PackedFakeReader(byFirstByte),
    );
    const damaged = [...reader.blobs].find(([, b]) => Buffer.from(b).toString() === "b-part")![0];
    reader.damaged.add(damaged);
    const target = tempDir();
    const summary = await restoreSnapshot(reader, root, target);
    expect(readdirSync(target).sort()).toEqual(["a-before", "b-after"]);
    expect(summary.errors).toEqual([{ path: "/spans", message: expect.stringMatching(/data blob .*damaged/) }]);
    expect(summary.files).toBe(2);
  });

  it("an abort between the parts of a file leaves no partial file behind", async () => {
    // The abort fires while the first part of "spans" (pack a) is read; its second part (pack b)
    // comes after 100 more files of pack a, so it is never started: the restore's cleanup deletes the file.
    const entries: FakeEntry[] = [{ type: "file", name: "spans", content: ["a-start", "b-end"] }];
    for (let i = 0; i < 100; i++) entries.push({ type: "file", name: `a${i}`, content: [`a-${i}`] });
    const reader = new AbortingReader(byFirstByte);
    const { root } = fakeSnapshot(entries, reader);
    reader.abortOn = [...reader.blobs].find(([, b]) => Buffer.from(b).toString() === "a-start")![0];
    const target = tempDir();
    await expect(restoreSnapshot(reader, root, target, { signal: reader.controller.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(existsSync(join(target, "spans"))).toBe(false);
    expect(reader.packReads).not.toContain(98);
  });
});

class AbortingReader extends PackedFakeReader {
  readonly controller = new AbortController();
  abortOn?: BlobId;

  override async readBlob(id: BlobId): Promise<Uint8Array> {
    const blob = await super.readBlob(id);
    if (id === this.abortOn) this.controller.abort();
    return blob;
  }
}
