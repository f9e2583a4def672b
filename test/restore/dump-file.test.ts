import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CairnError, IntegrityError } from "../../src/core/errors.js";
import { dumpFile } from "../../src/restore/dump-file.js";
import { fakeSnapshot } from "./fake-snapshot.js";

const MiB = 1024 * 1024;
const big = Array.from({ length: 4 }, (_, i) => Buffer.alloc(MiB, i + 1));
const { reader, root } = fakeSnapshot([
  { type: "dir", name: "dir", children: [{ type: "file", name: "big.bin", content: big }] },
  { type: "file", name: "small.txt", content: ["hello ", "dump"] },
  { type: "file", name: "broken", content: ["unique broken bytes"], damaged: true },
  { type: "symlink", name: "link", target: "small.txt" },
]);

describe("dumpFile", () => {
  it("streams a file to a PassThrough", async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    expect(await dumpFile(reader, root, "/small.txt", out)).toBe(10);
    expect(Buffer.concat(chunks).toString()).toBe("hello dump");
  });

  it("waits for drain instead of buffering the whole file", async () => {
    const buffered: number[] = [];
    const received: Buffer[] = [];
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        received.push(chunk);
        setTimeout(cb, 5);
      },
    });
    // Record what is queued in the stream each time the next blob is fetched.
    const spy = {
      loadTree: reader.loadTree.bind(reader),
      readBlob: (id: Parameters<typeof reader.readBlob>[0]) => {
        buffered.push(out.writableLength);
        return reader.readBlob(id);
      },
    };
    const n = await dumpFile(spy, root, "dir/big.bin", out);
    expect(n).toBe(4 * MiB);
    expect(buffered).toHaveLength(4);
    // Drained before each read: never more than one blob waiting in the stream.
    expect(Math.max(...buffered)).toBeLessThan(1024);
    await new Promise<void>((r) => out.end(r));
    expect(Buffer.concat(received).equals(Buffer.concat(big))).toBe(true);
  });

  it("refuses directories and missing paths with clear errors", async () => {
    await expect(dumpFile(reader, root, "/dir", new PassThrough())).rejects.toThrow("is a directory: /dir");
    await expect(dumpFile(reader, root, "/", new PassThrough())).rejects.toThrow(CairnError);
    await expect(dumpFile(reader, root, "/missing", new PassThrough())).rejects.toThrow(
      "no such file in snapshot: /missing",
    );
    await expect(dumpFile(reader, root, "/link", new PassThrough())).rejects.toThrow(/not a regular file \(symlink\)/);
  });

  it("throws IntegrityError for a damaged blob", async () => {
    await expect(dumpFile(reader, root, "/broken", new PassThrough())).rejects.toBeInstanceOf(IntegrityError);
  });
});
