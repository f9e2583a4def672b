/**
 * Recipient rotation (DESIGN.md: keys can be listed, added and removed
 * without re-uploading data).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { backupJson, generateIdentity, initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";

interface KeyList {
  keyFile: string;
  seq: number;
  recipients: string[];
}

async function keyList(ws: Workspace): Promise<KeyList> {
  const r = await cliOk(["key", "list", ...repoFlags(ws), "--json"]);
  return JSON.parse(r.stdout) as KeyList;
}

describe("key add / remove", () => {
  let ws: Workspace & { recipient: string };
  let firstSnapshot: string;

  beforeAll(async () => {
    ws = await initWorkspace("keys");
    await writeFile(join(ws.src, "before.txt"), "written before the rotation\n".repeat(100));
    const { result, summary } = await backupJson(ws);
    expect(result.code, result.stderr).toBe(0);
    firstSnapshot = summary.snapshot;
  });
  afterAll(() => ws?.cleanup());

  it("adds a recipient without rewriting data, the new identity restores new data, the old one can be removed but not the last", async () => {
    expect((await keyList(ws)).recipients).toEqual([ws.recipient]);

    const id2 = join(ws.dir, "id2.txt");
    const recipient2 = await generateIdentity(id2);
    const dataBefore = await listObjects(ws.repo, "data");
    const add = await cliOk(["key", "add", ...repoFlags(ws), recipient2]);
    expect(add.stdout).toContain(recipient2);
    expect(await listObjects(ws.repo, "data")).toEqual(dataBefore); // no data pack rewritten or added
    const afterAdd = await keyList(ws);
    expect(afterAdd.recipients).toEqual([ws.recipient, recipient2]);
    expect(await listObjects(ws.repo, "keys")).toEqual([`keys/${afterAdd.keyFile}`]); // the old key file is gone

    const again = await runCli(["key", "add", ...repoFlags(ws), recipient2]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already a recipient");

    // New data only: blobs deduplicated against packs written before `key add`
    // stay encrypted to the old recipients (see the report on key rotation).
    const fresh = join(ws.dir, "fresh");
    await mkdir(fresh);
    await writeFile(join(fresh, "after.txt"), "written after the rotation\n");
    const { summary } = await backupJson(ws, [fresh]);
    const target = join(ws.dir, "restored-2");
    await cliOk(["restore", ...repoFlags(ws, { agent: false, identity: id2 }), summary.snapshot, "--target", target]);
    expect(await readFile(join(target, fresh, "after.txt"), "utf8")).toBe("written after the rotation\n");

    const remove = await cliOk(["key", "remove", ...repoFlags(ws), ws.recipient]);
    expect(remove.stdout).toContain(ws.recipient);
    expect((await keyList(ws)).recipients).toEqual([recipient2]);

    const last = await runCli(["key", "remove", ...repoFlags(ws), recipient2]);
    expect(last.code).toBe(2);
    expect(last.stderr).toContain("last recipient");
    expect((await keyList(ws)).recipients).toEqual([recipient2]);

    const unknown = await runCli(["key", "remove", ...repoFlags(ws), ws.recipient]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("not a recipient");
  });

  it("a removed identity no longer reads new snapshots (alone it cannot even open the repository) but still reads old packs", async () => {
    // Runs after the rotation above: recipients are now [id2] only.
    await writeFile(join(ws.src, "after-removal.txt"), "only id2 may read this\n");
    const { summary } = await backupJson(ws);

    const alone = await runCli(["snapshots", ...repoFlags(ws, { agent: false, identity: ws.identity })]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain("none of the given identities");

    const newer = await runCli(["restore", ...repoFlags(ws, { identity: ws.identity }), summary.snapshot, "--target", join(ws.dir, "denied")]);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toMatch(/identit/);

    // Removing a recipient does not re-encrypt what was written before.
    const old = join(ws.dir, "restored-old");
    await cliOk(["restore", ...repoFlags(ws, { identity: ws.identity }), firstSnapshot, "--target", old]);
    expect(await readFile(join(old, ws.src, "before.txt"), "utf8")).toBe("written before the rotation\n".repeat(100));
  });
});
