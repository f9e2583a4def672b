import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeMetricsTextfile } from "../../../src/agent/metrics/metrics-textfile.js";

describe("writeMetricsTextfile", () => {
  let dir = "";
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("replaces the file whole through a temporary file the collector never reads, and leaves no temporary file", async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-textfile-"));
    const file = join(dir, "cairn.prom");
    await writeFile(file, "old 1\n");
    await writeMetricsTextfile(file, "new 2\n");
    expect(await readFile(file, "utf8")).toBe("new 2\n");
    expect(await readdir(dir)).toEqual(["cairn.prom"]);
  });

  it("a directory that is not there fails, and leaves nothing behind", async () => {
    await expect(writeMetricsTextfile(join(dir, "missing", "cairn.prom"), "x 1\n")).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual(["cairn.prom"]);
  });
});
