/**
 * Exit codes and output a script relies on: 0 ok, 1 runtime failure, 2 usage
 * or config error, 3 backup written but some files unreadable (src/cli/main.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { describeTree, writeSampleTree } from "./helpers/tree.js";
import { backupJson, initWorkspace, openUpForOthers, repoFlags, type Workspace } from "./helpers/workspace.js";

const isRoot = process.getuid?.() === 0;

/** Root can read any file, so the unreadable-file test runs the CLI as user nobody; this finds a way to. */
function asNobodyPrefix(): string[] | undefined {
  if (spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "true"]).status === 0)
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];
  if (spawnSync("runuser", ["-u", "nobody", "--", "true"]).status === 0) return ["runuser", "-u", "nobody", "--"];
  return undefined;
}
const nobody = isRoot ? asNobodyPrefix() : [];
const unreadableSkip =
  nobody === undefined ? " [SKIPPED: running as root without setpriv or runuser to drop to user nobody]" : "";

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const e of await readdir(path, { withFileTypes: true }).catch(() => []))
    await chownTree(join(path, e.name), uid, gid);
}

describe("exit codes and output", () => {
  let ws: Workspace & { recipient: string };
  let snapshot: string;

  beforeAll(async () => {
    ws = await initWorkspace("exit-codes");
    await writeSampleTree(ws.src);
    const { result, summary } = await backupJson(ws);
    expect(result.code, result.stderr).toBe(0);
    snapshot = summary.snapshot;
  });
  afterAll(() => ws?.cleanup());

  it("an unknown flag exits 2 and names the flag", async () => {
    const r = await runCli(["snapshots", ...repoFlags(ws), "--no-such-flag"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--no-such-flag");
  });

  it("a missing --repo exits 2 with a hint", async () => {
    const r = await runCli(["snapshots", "--agent-key-file", ws.agentKey]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no repository given");
    expect(r.stderr).toMatch(/hint:.*--repo/);
  });

  it("restoring a snapshot id that does not exist exits 2 with a hint, creating nothing", async () => {
    const target = join(ws.dir, "nothing");
    const r = await runCli(["restore", ...repoFlags(ws, { identity: ws.identity }), "deadbeef", "--target", target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no snapshot matches "deadbeef"');
    expect(r.stderr).toMatch(/hint:.*cairn snapshots/);
    expect(existsSync(target)).toBe(false);
  });

  it(`a backup with an unreadable file exits 3, lists the file, and still records the rest${unreadableSkip}`, async (ctx) => {
    if (nobody === undefined) return ctx.skip(unreadableSkip);
    const src = join(ws.dir, "partly-unreadable");
    await writeSampleTree(src);
    await writeFile(join(src, "locked.txt"), "no one may read this\n", { mode: 0o600 });
    if (isRoot) {
      // The CLI runs as nobody: it needs the workspace, repository, cache and key; the sources stay root's.
      await openUpForOthers(ws);
      const uid = Number(spawnSync("id", ["-u", "nobody"]).stdout.toString().trim());
      const gid = Number(spawnSync("id", ["-g", "nobody"]).stdout.toString().trim());
      await mkdir(ws.cache, { recursive: true });
      for (const p of [ws.repo, ws.cache, ws.agentKey]) await chownTree(p, uid, gid);
      await chmod(join(src, "private"), 0o755); // only locked.txt is unreadable
      await chmod(join(src, "private", "secret.txt"), 0o644);
    } else {
      await chmod(join(src, "locked.txt"), 0o000);
      await chmod(join(src, "private"), 0o755);
    }
    const r = await runCli(["backup", ...repoFlags(ws), src], { prefix: nobody });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/snapshot [0-9a-f]{8} saved/);
    expect(r.stdout).toContain("1 item(s) could not be backed up");
    expect(r.stdout).toContain(join(src, "locked.txt"));
    expect(r.stderr).toContain(join(src, "locked.txt"));

    const ls = await cliOk(["ls", ...repoFlags(ws, { identity: ws.identity }), "latest", "--json"]);
    const paths = ls.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { path: string }).path);
    expect(paths).toContain(join(src, "docs", "readme.txt"));
  });

  it("dump writes one file to stdout byte-identically", async () => {
    const file = join(ws.src, "big.bin");
    const r = await cliOk(["dump", ...repoFlags(ws, { identity: ws.identity }), snapshot, file]);
    const expected = await readFile(file);
    expect(r.stdoutBytes.length).toBe(expected.length);
    expect(r.stdoutBytes.equals(expected)).toBe(true);
  });

  it("restore --include restores only that subtree", async () => {
    const target = join(ws.dir, "restored-include");
    await cliOk([
      "restore",
      ...repoFlags(ws, { identity: ws.identity }),
      snapshot,
      "--target",
      target,
      "--include",
      join(ws.src, "docs"),
    ]);
    const restored = await describeTree(join(target, ws.src));
    const source = await describeTree(ws.src);
    expect(Object.keys(restored).sort()).toEqual([
      ".",
      "docs",
      "docs/dangling",
      "docs/notes",
      "docs/notes/empty",
      "docs/readme.txt",
    ]);
    for (const p of Object.keys(restored)) if (p !== ".") expect(restored[p], p).toEqual(source[p]);
  });

  it("ls --json prints one parseable JSON object per line", async () => {
    const r = await cliOk(["ls", ...repoFlags(ws, { identity: ws.identity }), snapshot, "--json"]);
    const lines = r.stdout.split("\n").filter(Boolean);
    const entries = lines.map(
      (l) => JSON.parse(l) as { path: string; type: string; size?: number; mode: number; mtimeNs: string },
    );
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get(join(ws.src, "big.bin"))).toMatchObject({ type: "file", size: 2_500_000 });
    expect(byPath.get(join(ws.src, "link-to-readme"))?.type).toBe("symlink");
    expect(byPath.get(join(ws.src, "empty-dir"))?.type).toBe("dir");
    expect(byPath.get(join(ws.src, "docs", "readme.txt"))?.mtimeNs).toMatch(/^1700000000123456\d{3}$/);
    expect(byPath.get(join(ws.src, "run.sh"))?.mode).toBe(0o755);
  });
});
