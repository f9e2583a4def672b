import { existsSync, lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AbortedError, IntegrityError } from "../../src/core/errors.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { fakeSnapshot, FakeReader, PackedFakeReader, type FakeEntry } from "./fake-snapshot.js";
import { useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();
const file = (name: string | Buffer, text = String(name)): FakeEntry => ({ type: "file", name, content: [text] });

/**
 * Every case twice: with a reader that only hands out blobs (files restored in
 * walk order) and with one that says where blobs are stored (files restored by
 * pack, each blob in its own pack here, so every file of several blobs is
 * written in parts: split-file.ts).
 */
const readers = [
  ["in walk order", () => new FakeReader()],
  ["by pack, files in parts", () => new PackedFakeReader()],
] as const;

describe.each(readers)("restore %s", (_, makeReader) => {
  const snap = (entries: FakeEntry[]) => fakeSnapshot(entries, makeReader());

  describe("restoreSnapshot with crafted trees (S20)", () => {
    it("rejects each unsafe name, naming it, and restores the benign entries", async () => {
      const outside = tempDir("outside");
      const { reader, root } = snap([
        file("ok-1"),
        file(".."),
        file("."),
        file("a/b"),
        file("nul\0byte"),
        file(`${outside}/abs`),
        file(""),
        file("n".repeat(256)),
        { type: "dir", name: "..", children: [file("escaped")] },
        file("ok-2"),
      ]);
      const target = tempDir();
      const summary = await restoreSnapshot(reader, root, target);
      expect(readdirSync(target).sort()).toEqual(["ok-1", "ok-2"]);
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(join(target, "..", "escaped"))).toBe(false);
      const paths = summary.errors.map((e) => e.path);
      expect(paths).toEqual([
        "/..",
        "/.",
        "/a\\x2fb",
        "/nul\\x00byte",
        `/${outside.replaceAll("/", "\\x2f")}\\x2fabs`,
        "/",
        `/${"n".repeat(256)}`,
        "/..",
      ]);
      expect(summary.errors[0].message).toContain("'..' is not allowed");
      expect(summary.errors[6].message).toContain("256 bytes");
      expect(summary.files).toBe(2);
    });

    it("never writes through a symlink: link -> outside, then dir link/x", async () => {
      const outside = tempDir("outside");
      const { reader, root } = snap([
        { type: "symlink", name: "link", target: outside },
        { type: "dir", name: "link", children: [file("x", "pwned")] },
        file("link", "pwned"),
        file("benign"),
      ]);
      const target = tempDir();
      const summary = await restoreSnapshot(reader, root, target);
      expect(readdirSync(outside)).toEqual([]);
      expect(lstatSync(join(target, "link")).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(target, "benign"), "utf8")).toBe("benign");
      expect(summary.errors.map((e) => e.path)).toEqual(["/link", "/link"]);
      expect(summary.errors[0].message).toMatch(/duplicate/);
    });

    it("still refuses when the directory comes first and the symlink second", async () => {
      const outside = tempDir("outside");
      const { reader, root } = snap([
        { type: "dir", name: "link", children: [file("x", "inside")] },
        { type: "symlink", name: "link", target: outside },
      ]);
      const target = tempDir();
      const summary = await restoreSnapshot(reader, root, target);
      expect(readdirSync(outside)).toEqual([]);
      expect(readFileSync(join(target, "link/x"), "utf8")).toBe("inside");
      expect(summary.errors).toEqual([{ path: "/link", message: expect.stringMatching(/duplicate/) }]);
    });

    it("keeps the first of duplicate entries and reports the second", async () => {
      const { reader, root } = snap([file("dup", "first"), file("dup", "second"), { type: "dir", name: "dup" }]);
      const target = tempDir();
      const summary = await restoreSnapshot(reader, root, target);
      expect(readFileSync(join(target, "dup"), "utf8")).toBe("first");
      expect(summary.errors.map((e) => e.path)).toEqual(["/dup", "/dup"]);
    });

    it("never overwrites or follows what is already in the target", async () => {
      const outside = tempDir("outside");
      const target = tempDir();
      writeFileSync(join(target, "existing"), "keep me");
      symlinkSync(outside, join(target, "trap"));
      const { reader, root } = snap([
        file("existing", "overwritten"),
        { type: "dir", name: "trap", children: [file("x")] },
        file("new"),
      ]);
      const warnings: string[] = [];
      const summary = await restoreSnapshot(reader, root, target, { onWarning: (w) => warnings.push(w.message) });
      expect(readFileSync(join(target, "existing"), "utf8")).toBe("keep me");
      expect(readdirSync(outside)).toEqual([]);
      expect(readFileSync(join(target, "new"), "utf8")).toBe("new");
      // Files are written several at once: errors come in completion order.
      const errors = [...summary.errors].sort((a, b) => a.path.localeCompare(b.path));
      expect(errors.map((e) => e.path)).toEqual(["/existing", "/trap"]);
      expect(errors[0].message).toMatch(/already exists.*restore into an empty or new directory/);
      expect(warnings).toEqual([expect.stringMatching(/not empty/)]);
    });

    it("does not loop on a tree that contains itself", async () => {
      const { reader, root } = snap([{ type: "dir", name: "d" }]);
      const tree = reader.trees.get(root)!;
      tree.nodes[0].subtree = root;
      const summary = await restoreSnapshot(reader, root, tempDir());
      expect(summary.errors).toEqual([{ path: "/d", message: expect.stringMatching(/cycle/) }]);
    });
  });

  describe("restoreSnapshot with damage and special files", () => {
    it("a damaged blob fails only its file, which is not left behind", async () => {
      const { reader, root } = snap([
        file("before"),
        { type: "file", name: "broken", content: ["good part", "bad part"], damaged: true },
        { type: "dir", name: "d", children: [file("after")] },
      ]);
      const target = tempDir();
      const summary = await restoreSnapshot(reader, root, target);
      expect(readdirSync(target).sort()).toEqual(["before", "d"]);
      expect(readFileSync(join(target, "d/after"), "utf8")).toBe("after");
      expect(summary.files).toBe(2);
      expect(summary.errors).toEqual([{ path: "/broken", message: expect.stringMatching(/data blob .*damaged/) }]);
    });

    it("a damaged subtree fails only that directory", async () => {
      const { reader, root } = snap([{ type: "dir", name: "d", children: [file("x", "lost")] }, file("kept")]);
      reader.damaged.add(reader.trees.get(root)!.nodes[0].subtree!);
      const summary = await restoreSnapshot(reader, root, tempDir());
      expect(summary.errors).toEqual([{ path: "/d", message: expect.stringMatching(/^tree .*damaged/) }]);
      expect(summary.files).toBe(1);
    });

    it("a damaged root tree throws IntegrityError", async () => {
      const { reader, root } = snap([file("x")]);
      reader.damaged.add(root);
      await expect(restoreSnapshot(reader, root, tempDir())).rejects.toBeInstanceOf(IntegrityError);
    });

    it("a file whose blobs disagree with its size is reported and removed", async () => {
      const { reader, root } = snap([{ type: "file", name: "short", content: ["abc"], raw: { size: 10 } }]);
      const target = tempDir();
      const summary = await restoreSnapshot(reader, root, target);
      expect(readdirSync(target)).toEqual([]);
      expect(summary.errors).toEqual([
        { path: "/short", message: expect.stringMatching(/3 bytes but the tree records 10/) },
      ]);
    });

    it("restores fifos and warns about sockets and devices (S21)", async () => {
      const { reader, root } = snap([
        { type: "fifo", name: Buffer.from([0x66, 0xff]), mode: 0o640 },
        { type: "socket", name: "sock" },
        { type: "chardev", name: "null", raw: { rdev: 259 } },
        { type: "blockdev", name: "sda" },
      ]);
      const target = tempDir();
      const warnings: { path: string; message: string }[] = [];
      const summary = await restoreSnapshot(reader, root, target, { onWarning: (w) => warnings.push(w) });
      expect(summary.errors).toEqual([]);
      expect(readdirSync(Buffer.from(target), { encoding: "buffer" })).toEqual([Buffer.from([0x66, 0xff])]);
      const st = lstatSync(Buffer.concat([Buffer.from(`${target}/`), Buffer.from([0x66, 0xff])]));
      expect(st.isFIFO()).toBe(true);
      expect(st.mode & 0o7777).toBe(0o640);
      expect(warnings.map((w) => w.path)).toEqual(["/sock", "/null", "/sda"]);
    });

    it("stops with AbortedError when the signal fires", async () => {
      const { reader, root } = snap([file("a"), file("b")]);
      const ac = new AbortController();
      ac.abort();
      await expect(restoreSnapshot(reader, root, tempDir(), { signal: ac.signal })).rejects.toBeInstanceOf(
        AbortedError,
      );
    });
  });

  describe("restoreSnapshot include filter", () => {
    const snapshot = () =>
      snap([
        {
          type: "dir",
          name: "home",
          mode: 0o711,
          children: [
            { type: "dir", name: "x", children: [file("a"), { type: "dir", name: "deep", children: [file("b")] }] },
            { type: "dir", name: "y", children: [file("c")] },
            file("top"),
          ],
        },
        { type: "dir", name: "etc", children: [file("passwd"), file("hosts")] },
        file("root-file"),
      ]);

    it("restores the included subtrees and their parent directories only", async () => {
      const { reader, root } = snapshot();
      const target = tempDir();
      const warnings: string[] = [];
      const summary = await restoreSnapshot(reader, root, target, {
        include: ["/home/x", "etc/hosts", "/nope/missing"],
        onWarning: (w) => warnings.push(w.path),
      });
      expect(readdirSync(target).sort()).toEqual(["etc", "home"]);
      expect(readdirSync(join(target, "home"))).toEqual(["x"]);
      expect(statMode(join(target, "home"))).toBe(0o711);
      expect(readFileSync(join(target, "home/x/deep/b"), "utf8")).toBe("b");
      expect(readdirSync(join(target, "etc"))).toEqual(["hosts"]);
      expect(summary).toMatchObject({ files: 3, errors: [] });
      expect(warnings).toEqual(["/nope"]);
    });

    it("'/' includes everything", async () => {
      const { reader, root } = snapshot();
      const summary = await restoreSnapshot(reader, root, tempDir(), { include: ["/"] });
      expect(summary.files).toBe(7);
    });
  });
});

function statMode(p: string): number {
  return lstatSync(p).mode & 0o7777;
}
