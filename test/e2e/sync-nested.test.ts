/**
 * `cairn sync` refuses a target inside its source repository, or a source
 * inside its target, or the two the same: the copy would list its own
 * output as source objects (stray objects under the repository's prefixes,
 * docs/FORMAT.md §Layout) and grow on every run. Local paths (symlinks
 * resolved) and one S3 bucket with nested prefixes (s3rver); a sibling whose
 * name merely starts with the source's is still copied.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCloudTarget, type CloudTarget } from "../helpers/cloud-targets.js";
import { cliOk, runCli, type CliResult } from "./helpers/run-cli.js";
import { initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";

let ws: Workspace & { recipient: string };

beforeAll(async () => {
  ws = await initWorkspace("sync-nested");
  writeFileSync(join(ws.src, "f.txt"), "hello\n");
  await cliOk(["backup", ...repoFlags(ws), ws.src]);
}, 60_000);
afterAll(() => ws?.cleanup());

function expectRefused(r: CliResult, what: RegExp): void {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  expect(r.stderr).toMatch(what);
  expect(r.stderr).not.toMatch(/\n\s+at |unexpected error/);
}

describe("sync with nested locations", () => {
  it("refuses a local target inside the source, the source inside the target, and the same directory", async () => {
    const before = await listObjects(ws.repo);
    expectRefused(await runCli(["sync", "--from", ws.repo, "--to", join(ws.repo, "copy")]), /inside/);
    expectRefused(await runCli(["sync", "--from", ws.repo, "--to", ws.repo]), /same location/);
    expectRefused(await runCli(["sync", "--from", ws.repo, "--to", `${ws.repo}/./`]), /same location/);
    // Through a symlink: the real path decides.
    symlinkSync(ws.repo, join(ws.dir, "repo-link"));
    expectRefused(await runCli(["sync", "--from", join(ws.dir, "repo-link"), "--to", join(ws.repo, "x")]), /inside/);
    expect(await listObjects(ws.repo)).toEqual(before);

    const outer = join(ws.dir, "outer");
    mkdirSync(outer);
    const inner = join(outer, "inner");
    await cliOk(["sync", "--from", ws.repo, "--to", inner]);
    expectRefused(await runCli(["sync", "--from", inner, "--to", outer]), /inside/);
  });

  it("copies to a sibling whose name starts with the source's", async () => {
    await cliOk(["sync", "--from", ws.repo, "--to", `${ws.repo}2`]);
    expect(await listObjects(`${ws.repo}2`)).toEqual(await listObjects(ws.repo));
  });
});

describe("sync with nested prefixes in one bucket (s3rver)", () => {
  let s3: CloudTarget;
  beforeAll(async () => {
    s3 = await startCloudTarget("s3");
    await cliOk(["sync", "--from", ws.repo, "--to", s3.url("app1")], { env: s3.env });
  }, 120_000);
  afterAll(() => s3?.emulator.stop());

  it("refuses a prefix inside the source's, the reverse and the same, and copies to a sibling prefix", async () => {
    const sync = (from: string, to: string) => runCli(["sync", "--from", from, "--to", to], { env: s3.env });
    expectRefused(await sync(s3.url("app1"), s3.url("app1/dr")), /inside/);
    await cliOk(["sync", "--from", ws.repo, "--to", s3.url("outer/app")], { env: s3.env });
    expectRefused(await sync(s3.url("outer/app"), s3.url("outer")), /inside/);
    expectRefused(await sync(s3.url("app1"), s3.url("app1/")), /same location/);
    const sibling = await sync(s3.url("app1"), s3.url("app10"));
    expect(sibling.code, sibling.stderr).toBe(0);
  }, 120_000);
});
