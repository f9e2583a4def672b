/**
 * Recipient rotation (keys can be listed, added and removed
 * without re-uploading data).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import {
  backupJson,
  generateIdentity,
  initWorkspace,
  listObjects,
  repoFlags,
  type Workspace,
} from "./helpers/workspace.js";

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

  it("adds a recipient without rewriting data; the new identity restores old and new snapshots; the last recipient cannot be removed", async () => {
    expect((await keyList(ws)).recipients).toEqual([ws.recipient]);

    const id2 = join(ws.dir, "id2.txt");
    const recipient2 = await generateIdentity(id2);
    const dataBefore = await listObjects(ws.repo, "data");

    // Changing recipients re-wraps the data identity, which only an identity holder can unwrap.
    const noId = await runCli(["key", "add", ...repoFlags(ws), recipient2]);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain("identity");

    const add = await cliOk(["key", "add", ...repoFlags(ws, { identity: ws.identity }), recipient2]);
    expect(add.stdout).toContain(recipient2);
    expect(await listObjects(ws.repo, "data")).toEqual(dataBefore); // no data pack rewritten or added
    const afterAdd = await keyList(ws);
    expect(afterAdd.recipients).toEqual([ws.recipient, recipient2]);
    expect(await listObjects(ws.repo, "keys")).toEqual([`keys/${afterAdd.keyFile}`]); // the old key file is gone

    const again = await runCli(["key", "add", ...repoFlags(ws, { identity: ws.identity }), recipient2]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already a recipient");

    // The new identity reads data written before it was added (no re-upload needed).
    const target = join(ws.dir, "restored-2");
    await cliOk(["restore", ...repoFlags(ws, { agent: false, identity: id2 }), firstSnapshot, "--target", target]);
    expect(await readFile(join(target, ws.src, "before.txt"), "utf8")).toBe(
      "written before the rotation\n".repeat(100),
    );

    const remove = await cliOk(["key", "remove", ...repoFlags(ws, { identity: id2 }), ws.recipient]);
    expect(remove.stdout).toContain(ws.recipient);
    expect((await keyList(ws)).recipients).toEqual([recipient2]);
    expect(await listObjects(ws.repo, "data")).toEqual(dataBefore);

    const last = await runCli(["key", "remove", ...repoFlags(ws, { identity: id2 }), recipient2]);
    expect(last.code).toBe(2);
    expect(last.stderr).toContain("last recipient");
    expect((await keyList(ws)).recipients).toEqual([recipient2]);

    const unknown = await runCli(["key", "remove", ...repoFlags(ws, { identity: id2 }), ws.recipient]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("not a recipient");
  });

  it("a removed identity can no longer open the repository; the remaining one restores everything", async () => {
    // Runs after the rotation above: recipients are now [id2] only.
    await writeFile(join(ws.src, "after-removal.txt"), "only id2 may read this\n");
    const { summary } = await backupJson(ws);

    const alone = await runCli(["snapshots", ...repoFlags(ws, { agent: false, identity: ws.identity })]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain("none of the given identities");

    const denied = await runCli([
      "restore",
      ...repoFlags(ws, { identity: ws.identity }),
      firstSnapshot,
      "--target",
      join(ws.dir, "denied"),
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("none of the given identities");

    const id2 = join(ws.dir, "id2.txt");
    const all = join(ws.dir, "restored-all");
    await cliOk(["restore", ...repoFlags(ws, { agent: false, identity: id2 }), summary.snapshot, "--target", all]);
    expect(await readFile(join(all, ws.src, "before.txt"), "utf8")).toBe("written before the rotation\n".repeat(100));
    expect(await readFile(join(all, ws.src, "after-removal.txt"), "utf8")).toBe("only id2 may read this\n");
  });
});
