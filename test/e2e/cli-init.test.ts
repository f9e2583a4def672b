/** `cairn init` never destroys a repository or a key. */
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { initWorkspace, repoFingerprint, repoFlags, type Workspace } from "./helpers/workspace.js";

describe("init refuses to overwrite", () => {
  let ws: Workspace & { recipient: string };
  let agentKeyText: string;

  beforeAll(async () => {
    ws = await initWorkspace("init");
    agentKeyText = await readFile(ws.agentKey, "utf8");
  });
  afterAll(() => ws?.cleanup());

  it("writes the agent key file with mode 0600", async () => {
    expect(statSync(ws.agentKey).mode & 0o777).toBe(0o600);
    expect(agentKeyText).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/m);
  });

  it("init on an existing repository exits 1, leaves the repository and the agent key alone, and leaves no new key file", async () => {
    const before = await repoFingerprint(ws.repo);
    const newKey = join(ws.dir, "second-agent.key");
    const r = await runCli(["init", "--repo", ws.repo, "--recipient", ws.recipient, "--agent-key-file", newKey]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("a repository already exists");
    expect(existsSync(newKey)).toBe(false);
    expect(await repoFingerprint(ws.repo)).toEqual(before);

    // Pointing at the existing agent key file as well: refused, key untouched.
    const again = await runCli([
      "init",
      "--repo",
      ws.repo,
      "--recipient",
      ws.recipient,
      "--agent-key-file",
      ws.agentKey,
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
    expect(await readFile(ws.agentKey, "utf8")).toBe(agentKeyText);
    expect(await repoFingerprint(ws.repo)).toEqual(before);

    // And the repository still opens with its key.
    await cliOk(["snapshots", ...repoFlags(ws)]);
  });

  it("init with an existing --agent-key-file path exits 2, naming the file, and creates no repository", async () => {
    const newRepo = join(ws.dir, "new-repo");
    const r = await runCli(["init", "--repo", newRepo, "--recipient", ws.recipient, "--agent-key-file", ws.agentKey]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(ws.agentKey);
    expect(r.stderr).toContain("refusing to overwrite");
    expect(r.stderr).toContain("--agent-key-file");
    expect(existsSync(newRepo)).toBe(false);
    expect(await readFile(ws.agentKey, "utf8")).toBe(agentKeyText);
  });

  it("init without a recipient or with a malformed one exits 2 and creates nothing", async () => {
    const newRepo = join(ws.dir, "repo-no-recipient");
    const key = join(ws.dir, "unused.key");
    const none = await runCli(["init", "--repo", newRepo, "--agent-key-file", key]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--recipient");
    const bad = await runCli(["init", "--repo", newRepo, "--agent-key-file", key, "--recipient", "age1notarecipient"]);
    expect(bad.code).toBe(2);
    expect(existsSync(newRepo)).toBe(false);
    expect(existsSync(key)).toBe(false);
  });
});
