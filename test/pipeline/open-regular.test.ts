import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gearTable } from "../../src/chunker/gear-table.js";
import { LargeFileReader } from "../../src/pipeline/large-file-job.js";
import { NotRegularError, openRegularSync } from "../../src/pipeline/open-regular.js";
import { readSmallFiles } from "../../src/pipeline/small-file-job.js";
import { useWorkDir } from "./helpers/repo.js";

const work = useWorkDir("open-regular");
const KEY = new Uint8Array(32).fill(7);

/** A regular file, and a fifo and a symlink standing where the walk had seen regular files. */
function swapped(): { regular: string; fifo: string; link: string } {
  const dir = join(work(), "swapped");
  mkdirSync(dir, { recursive: true });
  const regular = join(dir, "regular");
  writeFileSync(regular, "still a file");
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const link = join(dir, "link");
  symlinkSync(regular, link);
  return { regular, fifo, link };
}

describe("files replaced between the walk's lstat and the read", () => {
  it("a fifo fails at once instead of waiting for a writer, a symlink is not followed, a regular file is read", () => {
    const { regular, fifo, link } = swapped();
    expect(() => openRegularSync(Buffer.from(fifo))).toThrow(NotRegularError);
    expect(() => openRegularSync(Buffer.from(link))).toThrow(/ELOOP/);
    const [f, l, r] = readSmallFiles(
      [fifo, link, regular].map((p) => ({ path: Buffer.from(p), size: 12 })),
      3,
      KEY,
    );
    expect(f).toEqual({ ok: false, message: expect.stringMatching(/not a regular file any more/) });
    expect(l).toMatchObject({ ok: false });
    expect(r).toMatchObject({ ok: true, size: 12 });
  });

  it("the large-file reader refuses them too", () => {
    const { fifo, link } = swapped();
    const params = { min: 4096, avg: 16384, max: 65536 };
    const gear = gearTable(KEY);
    expect(() => new LargeFileReader({ path: Buffer.from(fifo), level: 3 }, gear, params, KEY)).toThrow(
      NotRegularError,
    );
    expect(() => new LargeFileReader({ path: Buffer.from(link), level: 3 }, gear, params, KEY)).toThrow(/ELOOP/);
  });
});
