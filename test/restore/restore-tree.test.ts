import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { fakeSnapshot, type FakeEntry } from "./fake-snapshot.js";
import { bpath, useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();
const isRoot = process.getuid?.() === 0;
const NON_UTF8 = Buffer.from([0xff, 0xfe]);

const tree: FakeEntry[] = [
  { type: "file", name: "hello.txt", content: ["hello ", "world\n"], mode: 0o640, mtimeNs: "1600000000987654321" },
  { type: "file", name: "empty" },
  { type: "dir", name: "empty-dir", mode: 0o700, mtimeNs: "1500000000000001000" },
  {
    type: "dir",
    name: "a",
    mode: 0o750,
    mtimeNs: "1400000000555555555",
    children: [
      { type: "dir", name: "b", children: [{ type: "file", name: "deep", content: ["deep data"], mode: 0o600 }] },
    ],
  },
  { type: "symlink", name: "link-out", target: "/etc/passwd", mtimeNs: "1300000000111111111" },
  { type: "symlink", name: "dangling", target: "a/b/missing" },
  { type: "file", name: "hard-1", content: ["shared inode"], inode: 42 },
  { type: "dir", name: "sub", children: [{ type: "file", name: "hard-2", content: ["shared inode"], inode: 42 }] },
  { type: "file", name: "script.sh", content: ["#!/bin/sh\n"], mode: 0o755 },
];

describe("restoreSnapshot round trip", () => {
  it("restores files, dirs, symlinks and hardlinks with their metadata", async () => {
    const { reader, root } = fakeSnapshot(tree);
    const target = join(tempDir(), "new-target");
    const summary = await restoreSnapshot(reader, root, target);
    expect(summary).toEqual({ files: 5, dirs: 4, symlinks: 2, hardlinks: 1, bytes: 12 + 9 + 12 + 10, errors: [] });
    expect(readFileSync(join(target, "hello.txt"), "utf8")).toBe("hello world\n");
    expect(statSync(join(target, "empty")).size).toBe(0);
    expect(readdirSync(join(target, "empty-dir"))).toEqual([]);
    expect(readFileSync(join(target, "a/b/deep"), "utf8")).toBe("deep data");
    expect(readlinkSync(join(target, "link-out"))).toBe("/etc/passwd");
    expect(lstatSync(join(target, "link-out")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(target, "dangling"))).toBe("a/b/missing");
  });

  it("restores modes and mtimes (to the microsecond: Node cannot set nanoseconds)", async () => {
    const { reader, root } = fakeSnapshot(tree);
    const target = tempDir();
    await restoreSnapshot(reader, root, target);
    const st = (p: string) => lstatSync(join(target, p), { bigint: true });
    expect(Number(st("hello.txt").mode) & 0o7777).toBe(0o640);
    expect(Number(st("script.sh").mode) & 0o7777).toBe(0o755);
    expect(Number(st("empty-dir").mode) & 0o7777).toBe(0o700);
    expect(Number(st("a").mode) & 0o7777).toBe(0o750);
    expect(st("hello.txt").mtimeNs).toBe(1600000000987654000n);
    expect(st("empty-dir").mtimeNs).toBe(1500000000000001000n);
    // Set after its contents were created, so it survives them.
    expect(st("a").mtimeNs).toBe(1400000000555555000n);
    expect(st("link-out").mtimeNs).toBe(1300000000111111000n);
  });

  it("restores hardlinks as one inode", async () => {
    const { reader, root } = fakeSnapshot(tree);
    const target = tempDir();
    await restoreSnapshot(reader, root, target);
    const one = statSync(join(target, "hard-1"));
    const two = statSync(join(target, "sub/hard-2"));
    expect(two.ino).toBe(one.ino);
    expect(one.nlink).toBe(2);
  });

  it("restores hostile but legal names byte-identically", async () => {
    const names: (string | Buffer)[] = [
      "with space",
      "new\nline",
      "-leading-dash",
      "--",
      "ünïcødé ☃",
      "e\u0301",
      "\u00e9",
      NON_UTF8,
      "A",
      "a",
      "x".repeat(255),
    ];
    const { reader, root } = fakeSnapshot([
      ...names.map((name, i): FakeEntry => ({ type: "file", name, content: [`file ${i}`] })),
      {
        type: "dir",
        name: Buffer.from([0x80, 0x2d]),
        children: [{ type: "file", name: NON_UTF8, content: ["nested"] }],
      },
      { type: "symlink", name: "raw-link", target: Buffer.from([0x2e, 0x2f, 0xff]) },
    ]);
    const target = tempDir();
    const summary = await restoreSnapshot(reader, root, target);
    expect(summary.errors).toEqual([]);
    const onDisk = readdirSync(Buffer.from(target), { encoding: "buffer" })
      .map((b) => b.toString("hex"))
      .sort();
    const expected = [...names, Buffer.from([0x80, 0x2d]), "raw-link"]
      .map((n) => Buffer.from(n).toString("hex"))
      .sort();
    expect(onDisk).toEqual(expected);
    names.forEach((n, i) => expect(readFileSync(bpath(target, n), "utf8")).toBe(`file ${i}`));
    expect(readFileSync(bpath(target, Buffer.from([0x80, 0x2d]), NON_UTF8), "utf8")).toBe("nested");
    expect(readlinkSync(bpath(target, "raw-link"), { encoding: "buffer" })).toEqual(Buffer.from([0x2e, 0x2f, 0xff]));
  });

  it("restores a 5 GiB sparse file sparse, with the exact size", async () => {
    const MiB8 = 8 * 1024 * 1024;
    const blobs = Array.from({ length: 640 }, () => ({ zeros: MiB8 }));
    const { reader, root } = fakeSnapshot([
      { type: "file", name: "disk.img", content: [...blobs, "tail!"] },
      { type: "file", name: "trailing-hole", content: ["head", { zeros: MiB8 }] },
    ]);
    const target = tempDir();
    const started = Date.now();
    const summary = await restoreSnapshot(reader, root, target);
    expect(summary.errors).toEqual([]);
    const st = statSync(join(target, "disk.img"));
    expect(st.size).toBe(5 * 1024 ** 3 + 5);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    const hole = statSync(join(target, "trailing-hole"));
    expect(hole.size).toBe(4 + MiB8);
    expect(hole.blocks * 512).toBeLessThan(1024 * 1024);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("drops setuid/setgid unless ownership is restored", async () => {
    const { reader, root } = fakeSnapshot([{ type: "file", name: "suid", content: ["x"], mode: 0o4755 }]);
    const plain = tempDir();
    await restoreSnapshot(reader, root, plain, { restoreOwnership: false });
    expect(statSync(join(plain, "suid")).mode & 0o7777).toBe(0o755);
  });

  it.skipIf(!isRoot)("restores owners and setuid bits as root", async () => {
    const { reader, root } = fakeSnapshot([
      { type: "file", name: "suid", content: ["x"], mode: 0o4755, uid: 1234, gid: 2345 },
      { type: "dir", name: "d", uid: 1235, gid: 2346 },
      { type: "symlink", name: "l", target: "suid", uid: 1236, gid: 2347 },
    ]);
    const target = tempDir();
    await restoreSnapshot(reader, root, target, { restoreOwnership: true });
    const f = statSync(join(target, "suid"));
    expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([1234, 2345, 0o4755]);
    const d = statSync(join(target, "d"));
    expect([d.uid, d.gid]).toEqual([1235, 2346]);
    const l = lstatSync(join(target, "l"));
    expect([l.uid, l.gid]).toEqual([1236, 2347]);
  });

  it("reports progress after each file", async () => {
    const { reader, root } = fakeSnapshot(tree);
    const seen: { files: number; bytes: number }[] = [];
    await restoreSnapshot(reader, root, tempDir(), { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(6);
    expect(seen.at(-1)).toEqual({ files: 5, bytes: 43 });
  });
});
