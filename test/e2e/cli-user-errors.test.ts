/**
 * A user's mistake is a typed error, never a stack trace: each case runs the
 * real CLI and checks the exit code, a message naming the thing (the file,
 * the flag or config key that named it) and that stderr holds neither a stack
 * frame nor "unexpected error" (src/cli/main.ts prints those only for bugs).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { BlobType, type BlobId } from "../../src/core/ids.js";
import { Repository } from "../../src/repository/repository.js";
import { encodeTree } from "../../src/repository/format/tree-codec.js";
import { openStorage } from "../../src/storage/location/open-storage.js";
import { cliOk, runCli, type CliResult } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";

let ws: Workspace;

beforeAll(async () => {
  ws = await initWorkspace("user-errors");
  writeFileSync(join(ws.src, "f"), "data");
  await cliOk(["backup", ...repoFlags(ws), ws.src]);
});
afterAll(() => ws?.cleanup());

function expectUserError(r: CliResult, code: number, ...mentions: string[]): void {
  const shown = `exit ${r.code}\nstderr:\n${r.stderr}`;
  expect(r.code, shown).toBe(code);
  for (const m of mentions) expect(r.stderr, shown).toContain(m);
  expect(r.stderr, shown).not.toMatch(/unexpected error|\n\s+at |Error: /);
}

describe("restore target", () => {
  it("a target that is a file", async () => {
    const file = join(ws.dir, "a-file");
    writeFileSync(file, "x");
    const r = await runCli(["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "--target", file]);
    expectUserError(r, 2, `--target: cannot use the restore target ${file}: it is a file, not a directory`, "hint:");
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it("a target below a file", async () => {
    const file = join(ws.dir, "a-file-2");
    writeFileSync(file, "x");
    const r = await runCli(["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "-t", `${file}/sub/dir`]);
    expectUserError(r, 2, `--target: cannot use the restore target ${file}/sub/dir (at ${file}): a part of the path`);
  });

  it("a target that does not exist yet is created, parents included", async () => {
    const target = join(ws.dir, "new", "deeper");
    await cliOk(["restore", ...repoFlags(ws, { identity: ws.identity }), "latest", "--target", target]);
    expect(readFileSync(join(target, ws.src, "f"), "utf8")).toBe("data");
  });
});

describe("exclude patterns", () => {
  it.each([[""], ["/"]])("backup --exclude %j", async (pattern) => {
    const r = await runCli(["backup", ...repoFlags(ws), "--exclude", pattern, ws.src]);
    expectUserError(r, 2, "--exclude:", pattern === "" ? "must not be empty" : '"/" names nothing');
  });
});

describe("a source given on the command line", () => {
  it.each([
    [
      "an empty exclude pattern",
      `{type: snapshot, paths: [SRC], exclude: [""]}`,
      "source.exclude.0: an exclude pattern must not be empty",
    ],
    [
      "a timeout past what a timer holds",
      `{type: dump, command: "echo x", name: x.sql, timeout_seconds: 1e10}`,
      "source.timeout_seconds: 10000000000 s is longer than 24d20h31m23s",
    ],
  ])("backup --source with %s", async (_what, source, message) => {
    const r = await runCli(["backup", ...repoFlags(ws), "--source", source.replace("SRC", ws.src)]);
    expectUserError(r, 2, `--source: ${message}`);
  });
});

describe("key files", () => {
  const missing = () => join(ws.dir, "no-such.key");

  it("a missing agent key file, by flag", async () => {
    const r = await runCli(["snapshots", "--repo", ws.repo, "--agent-key-file", missing()]);
    expectUserError(
      r,
      2,
      `--agent-key-file (or CAIRN_AGENT_KEY_FILE): cannot read the agent key file ${missing()}: no such file or directory`,
      "hint: give the file `cairn init --agent-key-file` wrote",
    );
  });

  it("a missing agent key file, by environment variable", async () => {
    const r = await runCli(["snapshots", "--repo", ws.repo], { env: { CAIRN_AGENT_KEY_FILE: missing() } });
    expectUserError(r, 2, missing(), "CAIRN_AGENT_KEY_FILE", "no such file or directory");
  });

  it("a missing identity file", async () => {
    const r = await runCli(["ls", "--repo", ws.repo, "--identity", missing(), "latest"]);
    expectUserError(
      r,
      2,
      `--identity (or CAIRN_IDENTITY_FILE): cannot read the identity file ${missing()}`,
      "cairn key generate",
    );
  });

  it("an identity file that is a directory", async () => {
    const r = await runCli(["ls", "--repo", ws.repo, "--identity", ws.src, "latest"]);
    expectUserError(r, 2, `cannot read the identity file ${ws.src}: it is a directory, not a file`);
  });

  it("key generate --output below a file", async () => {
    const file = join(ws.dir, "a-file-3");
    writeFileSync(file, "x");
    const r = await runCli(["key", "generate", "--output", `${file}/id.txt`]);
    expectUserError(r, 2, `--output: cannot write the key file ${file}/id.txt: a part of the path is a file`);
  });

  it("a missing identity_file in the config names the config key", async () => {
    const config = join(ws.dir, "restore.yaml");
    writeFileSync(
      config,
      `repositories:\n  main: { url: ${ws.repo}, agent_key_file: ${ws.agentKey}, identity_file: ${missing()} }\n` +
        `jobs:\n  db:\n    source: { type: dump, command: "echo hi", name: db.sql }\n    repositories: [main]\n`,
    );
    const r = await runCli(["restore", "--config", config, "db", "--target", join(ws.dir, "out-db")]);
    expectUserError(r, 2, `repositories.main.identity_file: cannot read the identity file ${missing()}: no such file`);
  });

  it("cairn run with a missing agent_key_file logs the config key, not a stack", async () => {
    const config = join(ws.dir, "run.yaml");
    writeFileSync(
      config,
      `repositories:\n  main: { url: ${ws.repo}, agent_key_file: ${missing()} }\n` +
        `jobs:\n  files:\n    source: { type: files, paths: [${ws.src}] }\n    repositories: [main]\n    retry: { attempts: 0 }\n` +
        `agent:\n  cache_dir: ${ws.cache}\n`,
    );
    const r = await runCli(["run", "--config", config, "files"]);
    expect(r.code).toBe(1);
    const summary = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event?: string; error?: string; err?: { stack?: string } })
      .find((l) => l.event === "job_run")!;
    expect(summary.error).toContain(`repositories.main.agent_key_file: cannot read the agent key file ${missing()}`);
    expect(summary.err?.stack).toBeUndefined();
  });
});

/** A snapshot whose tree is `depth` directories deep, written with the library (a backup cannot walk paths that long). */
async function deepSnapshot(depth: number): Promise<void> {
  const agentKey = AgentKey.parse(readFileSync(ws.agentKey, "utf8"), ws.agentKey);
  const repo = await Repository.open(await openStorage(ws.repo), { agentKey });
  const meta = { mode: 0o755, uid: 0, gid: 0, mtimeNs: "0" };
  const { result: root } = await repo.withUploader(async (up) => {
    let child: BlobId | undefined;
    for (let i = 0; i < depth; i++) {
      const nodes =
        child === undefined
          ? [{ name: "f", type: "file" as const, ...meta, size: 0, content: [] }]
          : [{ name: "d", type: "dir" as const, ...meta, subtree: child }];
      const bytes = encodeTree({ nodes });
      child = repo.agent.blobId(BlobType.Tree, bytes);
      await up.add(BlobType.Tree, child, bytes);
    }
    return child!;
  });
  await repo.saveSnapshot({
    version: 1,
    time: "9999-01-01T00:00:00.000Z",
    host: "deep",
    paths: ["/d"],
    tags: [],
    tree: root,
    skeleton: root,
    program: "test",
  });
}

describe("ls of a deep tree", () => {
  it("lists a tree 5000 levels deep", async () => {
    const depth = 5000;
    await deepSnapshot(depth);
    const r = await runCli(["ls", ...repoFlags(ws, { identity: ws.identity }), "latest"], { timeoutMs: 120_000 });
    expectUserError(r, 0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.length).toBe(depth);
    expect(lines.at(-1)).toBe(`-            0  ${"/d".repeat(depth - 1)}/f`);
  });
});
