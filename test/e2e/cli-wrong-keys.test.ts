/**
 * S16: a wrong agent key, a wrong identity and a damaged key file each give a
 * fast, distinct error and write nothing; keys can come from environment
 * variables instead of flags.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { describeTree, writeSampleTree } from "./helpers/tree.js";
import {
  backupJson,
  generateIdentity,
  initWorkspace,
  repoFingerprint,
  repoFlags,
  type Workspace,
} from "./helpers/workspace.js";

describe("wrong keys (S16) and keys from the environment", () => {
  let ws: Workspace & { recipient: string };
  /** An agent key for another repository: valid syntax, wrong secret. */
  let otherAgentKey: string;
  let otherIdentity: string;

  beforeAll(async () => {
    ws = await initWorkspace("wrong-keys");
    await writeSampleTree(ws.src);
    expect((await backupJson(ws)).result.code).toBe(0);
    otherIdentity = join(ws.dir, "other-id.txt");
    await generateIdentity(otherIdentity);
    otherAgentKey = join(ws.dir, "other-agent.key");
    const other = await cliOk([
      "init",
      "--repo",
      join(ws.dir, "other-repo"),
      "--recipient",
      ws.recipient,
      "--agent-key-file",
      otherAgentKey,
    ]);
    expect(other.stdout).toContain("created repository");
  });
  afterAll(() => ws?.cleanup());

  it("a different agent key: exit 1, says the agent key does not open the repository, writes nothing", async () => {
    const before = await repoFingerprint(ws.repo);
    const cache = join(ws.dir, "wrong-key-cache");
    for (const args of [["backup", ws.src], ["snapshots"], ["check"]]) {
      const r = await runCli([
        args[0],
        "--repo",
        ws.repo,
        "--cache-dir",
        cache,
        "--agent-key-file",
        otherAgentKey,
        ...args.slice(1),
      ]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain("the agent key does not open the repository");
      expect(r.stdout).toBe("");
    }
    expect(await repoFingerprint(ws.repo)).toEqual(before);
    expect(existsSync(cache)).toBe(false);
  });

  it("a wrong identity alone: exit 1, 'none of the given identities'", async () => {
    for (const args of [["snapshots"], ["restore", "latest", "--target", join(ws.dir, "never")]]) {
      const r = await runCli([args[0], ...repoFlags(ws, { agent: false, identity: otherIdentity }), ...args.slice(1)]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain("none of the given identities");
    }
    expect(existsSync(join(ws.dir, "never"))).toBe(false);
  });

  it("a wrong identity with the right agent key: restore exits 1 naming the identity problem, creates no target", async () => {
    const before = await repoFingerprint(ws.repo);
    const target = join(ws.dir, "never-2");
    const r = await runCli(["restore", ...repoFlags(ws, { identity: otherIdentity }), "latest", "--target", target]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/identit/);
    expect(existsSync(target)).toBe(false);
    expect(await repoFingerprint(ws.repo)).toEqual(before);
  });

  it("a tampered or garbage agent key file: exit 2, a config-style error naming the file", async () => {
    const text = await readFile(ws.agentKey, "utf8");
    const line = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
    // Change one character of the bech32 data part (after "AGE-SECRET-KEY-1"): the checksum must catch it.
    const i = "AGE-SECRET-KEY-1".length + 10;
    const flipped = line.slice(0, i) + (line[i] === "Q" ? "P" : "Q") + line.slice(i + 1);
    const tampered = join(ws.dir, "tampered.key");
    await writeFile(tampered, text.replace(line, flipped), { mode: 0o600 });
    const garbage = join(ws.dir, "garbage.key");
    await writeFile(garbage, "this is not a key\n", { mode: 0o600 });
    const before = await repoFingerprint(ws.repo);
    for (const file of [tampered, garbage]) {
      const r = await runCli(["backup", "--repo", ws.repo, "--cache-dir", ws.cache, "--agent-key-file", file, ws.src]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toContain("AGE-SECRET-KEY-1");
    }
    const missing = await runCli(["snapshots", "--repo", ws.repo, "--agent-key-file", join(ws.dir, "no-such.key")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no-such.key");
    expect(await repoFingerprint(ws.repo)).toEqual(before);
  });

  it("the agent key in CAIRN_AGENT_KEY works for backup and snapshots", async () => {
    const env = { CAIRN_AGENT_KEY: await readFile(ws.agentKey, "utf8") };
    const b = await runCli(["backup", "--repo", ws.repo, "--cache-dir", ws.cache, ws.src], { env });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/snapshot [0-9a-f]{8} saved/);
    const s = await runCli(["snapshots", "--repo", ws.repo, "--json"], { env });
    expect(s.code, s.stderr).toBe(0);
    expect((JSON.parse(s.stdout) as unknown[]).length).toBeGreaterThanOrEqual(2);
  });

  it("CAIRN_REPO, CAIRN_AGENT_KEY_FILE and CAIRN_IDENTITY_FILE work instead of flags", async () => {
    const env = {
      CAIRN_REPO: ws.repo,
      CAIRN_AGENT_KEY_FILE: ws.agentKey,
      CAIRN_IDENTITY_FILE: ws.identity,
      CAIRN_CACHE_DIR: ws.cache,
    };
    const b = await runCli(["backup", "--json", ws.src], { env });
    expect(b.code, b.stderr).toBe(0);
    const summary = b.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; snapshot?: string })
      .find((l) => l.type === "summary");
    const s = await runCli(["snapshots", "--json"], { env });
    expect(s.code, s.stderr).toBe(0);
    expect((JSON.parse(s.stdout) as { id: string }[]).map((x) => x.id)).toContain(summary?.snapshot);
    const target = join(ws.dir, "restored-env");
    const r = await runCli(["restore", summary!.snapshot!.slice(0, 10), "--target", target], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(await describeTree(join(target, ws.src))).toEqual(await describeTree(ws.src));
  });
});
