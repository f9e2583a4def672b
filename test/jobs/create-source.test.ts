import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SourceSchema } from "../../src/config/source-schema.js";
import { createSource } from "../../src/jobs/create-source.js";
import { makeRepo, useWorkDir } from "../pipeline/helpers/repo.js";

const work = useWorkDir("src");

describe("createSource: files", () => {
  it("backs up the paths minus the job's excludes", async () => {
    const dir = work();
    await mkdir(join(dir, "data", "cache"), { recursive: true });
    await writeFile(join(dir, "data", "keep.txt"), "kept");
    await writeFile(join(dir, "data", "junk.tmp"), "excluded");
    await writeFile(join(dir, "data", "cache", "c.bin"), "excluded");
    const source = createSource(
      SourceSchema.parse({ type: "files", paths: [join(dir, "data")], exclude: ["*.tmp", "cache/"] }),
    );
    expect(source.description).toBe(`files ${join(dir, "data")}`);
    const t = await makeRepo(dir);
    const r = await source.backup(await t.writer(), { workers: 0 });
    expect(r.summary.filesNew).toBe(1);
  });

  it("rejects an unknown kind and an unknown key", () => {
    expect(SourceSchema.safeParse({ type: "ftp", paths: ["/x"] }).success).toBe(false);
    expect(SourceSchema.safeParse({ type: "files", paths: ["/x"], exlude: [] }).success).toBe(false);
    expect(SourceSchema.safeParse({ type: "files", paths: [] }).success).toBe(false);
  });
});
