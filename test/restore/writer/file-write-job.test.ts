import { lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync as fsWrite } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { compressBlob } from "../../../src/compression/zstd.js";
import { keyedBlobId } from "../../../src/crypto/agent-key.js";
import { BlobType } from "../../../src/core/ids.js";
import { writeFileSync } from "../../../src/restore/writer/file-write-job.js";
import { FileWriterPool, inOneBuffer } from "../../../src/restore/writer/file-writer-pool.js";
import { WorkerPool } from "../../../src/workers/worker-pool.js";
import { useTempDirs } from "../helpers.js";

const tempDir = useTempDirs();
const MiB = 1024 * 1024;

describe("writeFileSync (one small file, as the writer workers do it)", () => {
  it("writes the blobs in order, leaves all-zero blobs as holes, and sets mode and mtime", () => {
    const path = join(tempDir(), "f");
    const head = Buffer.from("head");
    const r = writeFileSync({
      path: Buffer.from(path),
      blobs: [head, Buffer.alloc(MiB), Buffer.from("tail")],
      size: 4 + MiB + 4,
      mode: 0o640,
      mtime: "1600000000.5",
    });
    expect(r).toEqual({ ok: true });
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(MiB + 8);
    expect(bytes.subarray(0, 4).toString()).toBe("head");
    expect(bytes.subarray(4, 4 + MiB).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(MiB + 4).toString()).toBe("tail");
    const st = lstatSync(path);
    expect(st.blocks * 512).toBeLessThan(MiB); // the zero blob is a hole
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtimeMs).toBe(1600000000500);
  });

  it("extends a file whose last blob is all zeros to its full size", () => {
    const path = join(tempDir(), "z");
    expect(
      writeFileSync({
        path: Buffer.from(path),
        blobs: [Buffer.from("x"), Buffer.alloc(4096)],
        size: 4097,
        mode: 0o600,
        mtime: "0",
      }).ok,
    ).toBe(true);
    expect(lstatSync(path).size).toBe(4097);
  });

  it("never overwrites an existing file or writes through a symlink, and says why", () => {
    const dir = tempDir();
    fsWrite(join(dir, "keep"), "keep me");
    const outside = join(tempDir(), "outside");
    symlinkSync(outside, join(dir, "trap"));
    for (const name of ["keep", "trap"]) {
      const r = writeFileSync({
        path: Buffer.from(join(dir, name)),
        blobs: [Buffer.from("new")],
        size: 3,
        mode: 0o644,
        mtime: "0",
      });
      expect(r).toMatchObject({ ok: false, error: { code: "EEXIST", syscall: "open" } });
    }
    expect(readFileSync(join(dir, "keep"), "utf8")).toBe("keep me");
    expect(() => lstatSync(outside)).toThrow();
  });
});

describe("writeFileSync with blobs decoded on the writer thread", () => {
  const idKey = Buffer.alloc(32, 3);
  const raw = Buffer.from("compressible ".repeat(400));
  const encoded = () => {
    const c = compressBlob(raw);
    return {
      stored: c.bytes,
      compressed: c.compressed,
      rawLength: raw.length,
      type: BlobType.Data,
      id: keyedBlobId(idKey, BlobType.Data, raw),
      what: "b1 in data/00/00",
    };
  };

  it("decompresses and verifies each blob against its keyed id before writing", () => {
    const path = join(tempDir(), "f");
    expect(
      writeFileSync(
        {
          path: Buffer.from(path),
          blobs: [encoded(), Buffer.from("!")],
          size: raw.length + 1,
          mode: 0o600,
          mtime: "0",
        },
        idKey,
      ),
    ).toEqual({ ok: true });
    expect(readFileSync(path, "utf8")).toBe(raw.toString() + "!");
  });

  it("creates no file when a blob does not match its id, and names the blob", () => {
    const path = join(tempDir(), "f");
    const b = { ...encoded(), id: keyedBlobId(idKey, BlobType.Data, Buffer.from("other")) };
    expect(
      writeFileSync({ path: Buffer.from(path), blobs: [b], size: raw.length, mode: 0o600, mtime: "0" }, idKey),
    ).toMatchObject({
      ok: false,
      error: { integrity: { kind: "blob", objectKey: "b1 in data/00/00", detail: "content does not match its id" } },
    });
    expect(() => lstatSync(path)).toThrow();
  });
});

describe("FileWriterPool", () => {
  it("writes many files from worker threads, each with its own content, and reports failures per file", async () => {
    const dir = tempDir();
    fsWrite(join(dir, "taken-7"), "old");
    const pool = new FileWriterPool(2);
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const name = i === 7 ? "taken-7" : `f-${i}`;
          const body = Buffer.from(`file ${i} `.repeat(i + 1));
          return pool.write({
            path: Buffer.from(join(dir, name)),
            blobs: [body],
            size: body.length,
            mode: 0o600,
            mtime: "1000",
          });
        }),
      );
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, error: expect.objectContaining({ code: "EEXIST" }) }]);
      for (let i = 0; i < 200; i++)
        if (i !== 7) expect(readFileSync(join(dir, `f-${i}`), "utf8")).toBe(`file ${i} `.repeat(i + 1));
      expect(readFileSync(join(dir, "taken-7"), "utf8")).toBe("old");
    } finally {
      await pool.close();
    }
  });
});

describe("FileWriterPool routing", () => {
  it("sends the files of a directory written in a row to one worker, and the next directory to the least loaded one", async () => {
    const root = tempDir();
    const dirs = ["a", "b", "c"].map((d) => join(root, d));
    for (const d of dirs) mkdirSync(d);
    const sent: { worker: number; dirs: string[] }[] = [];
    const original = WorkerPool.prototype.call;
    const call = vi.spyOn(WorkerPool.prototype, "call").mockImplementation(function <R>(
      this: WorkerPool,
      ...args: Parameters<WorkerPool["call"]>
    ): Promise<R> {
      const [message, , , worker] = args;
      const files = (message as { files?: { path: Uint8Array }[] }).files ?? [];
      sent.push({ worker: worker ?? -1, dirs: files.map((f) => dirname(Buffer.from(f.path).toString())) });
      return original.apply(this, args) as Promise<R>;
    });
    const pool = new FileWriterPool(2);
    try {
      const writes = dirs.flatMap((d) =>
        Array.from({ length: 40 }, (_, i) =>
          pool.write({
            path: Buffer.from(join(d, `f${i}`)),
            blobs: [Buffer.from(`${i}`)],
            size: `${i}`.length,
            mode: 0o600,
            mtime: "1000",
          }),
        ),
      );
      const results = await Promise.all(writes);
      expect(results.every((r) => r.ok)).toBe(true);
    } finally {
      call.mockRestore();
      await pool.close();
    }
    const workersOf = (d: string) => new Set(sent.filter((b) => b.dirs.includes(d)).map((b) => b.worker));
    for (const d of dirs) expect(workersOf(d).size).toBe(1);
    expect([...workersOf(dirs[0]!)]).not.toEqual([...workersOf(dirs[1]!)]); // a's first batch loaded its worker
    for (const d of dirs) expect(readdirSync(d)).toHaveLength(40);
  });
});

describe("inOneBuffer", () => {
  it("copies a batch's paths and blobs, raw and stored, into one buffer that the views share", () => {
    const pack = Buffer.from("....stored-bytes....raw-bytes...."); // blobs are views into a decrypted pack
    const files = [
      { path: Buffer.from("/t/a"), blobs: [pack.subarray(20, 29)], size: 9, mode: 0o644, mtime: "1" },
      {
        path: Buffer.from("/t/b"),
        blobs: [
          { stored: pack.subarray(4, 16), compressed: false, rawLength: 12, type: BlobType.Data, what: "x", id: "i" },
        ],
        size: 12,
        mode: 0o600,
        mtime: "2",
      },
    ];
    const { files: placed, buffer } = inOneBuffer(files);
    expect(buffer.byteLength).toBe(4 + 9 + 4 + 12);
    const parts = [
      placed[0].path,
      placed[0].blobs[0] as Uint8Array,
      placed[1].path,
      (placed[1].blobs[0] as { stored: Uint8Array }).stored,
    ];
    for (const p of parts) expect(p.buffer).toBe(buffer);
    expect(parts.map((p) => Buffer.from(p).toString())).toEqual(["/t/a", "raw-bytes", "/t/b", "stored-bytes"]);
    expect(placed[1]).toMatchObject({
      size: 12,
      mode: 0o600,
      mtime: "2",
      blobs: [{ compressed: false, rawLength: 12, id: "i", what: "x" }],
    });
  });
});
