/**
 * The generic dump source through the CLI: `cairn backup --dump CMD
 * --dump-name NAME` streams a command's stdout in as one file, and `cairn
 * restore --dump-name NAME --to-command CMD` streams it back out. A command
 * that fails in any way (exit code, signal, timeout) records no snapshot.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";
import { initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";

describe("dump source (generic)", () => {
  let ws: Workspace & { recipient: string };
  let input: string;
  let bytes: Buffer;

  const snapshotCount = async () => (await listObjects(ws.repo, "snapshots")).length;
  const dump = (cmd: string, ...more: string[]) =>
    runCli(["backup", ...repoFlags(ws), "--dump", cmd, "--dump-name", "data.bin", ...more]);

  beforeAll(async () => {
    ws = await initWorkspace("db-dump");
    input = join(ws.dir, "input.bin");
    bytes = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(input, bytes);
  });
  afterAll(() => ws?.cleanup());

  it("stores the command's stdout as one file, logs its stderr, and streams it back into a command", async () => {
    const r = await dump(`echo note-from-the-dump >&2; cat ${input}`, "--dump-shell");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("note-from-the-dump");
    const out = join(ws.dir, "restored.bin");
    const back = await runCli([
      "restore",
      ...repoFlags(ws, { identity: ws.identity }),
      "latest",
      "--dump-name",
      "data.bin",
      "--to-command",
      `dd of=${out} status=none`,
    ]);
    expect(back.code, back.stderr).toBe(0);
    expect((await readFile(out)).equals(bytes)).toBe(true);
    expect(await snapshotCount()).toBe(1);
  });

  it("a non-zero exit after partial output records no snapshot and exits 1 with the tool's message", async () => {
    const before = await snapshotCount();
    const r = await dump(`sh -c 'head -c 1000000 ${input}; echo "fatal: disk on fire" >&2; exit 7'`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("exited with code 7");
    expect(r.stderr).toContain("fatal: disk on fire");
    expect(await snapshotCount()).toBe(before);
  });

  it("a command killed mid-stream records no snapshot", async () => {
    const before = await snapshotCount();
    const r = await dump(`sh -c 'head -c 2000000 ${input}; kill -9 $$'`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SIGKILL");
    expect(await snapshotCount()).toBe(before);
  });

  it("a command that exits 0 having written only to stderr records no snapshot", async () => {
    const before = await snapshotCount();
    const r = await dump(`sh -c 'echo "exporter: nothing to export, check the token" >&2'`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("wrote nothing to stdout");
    expect(r.stderr).toContain("check the token");
    expect(await snapshotCount()).toBe(before);
  });

  it("a command over its timeout is killed and records no snapshot", async () => {
    const before = await snapshotCount();
    const r = await dump("sleep 20", "--dump-timeout", "1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("timed out after 1 s");
    expect(await snapshotCount()).toBe(before);
  });

  it("a missing program is a clear error, and shell syntax needs --dump-shell", async () => {
    const missing = await dump("no-such-exporter --stdout");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no-such-exporter");
    expect(missing.stderr).toContain("command not found");
    const piped = await dump(`cat ${input} | gzip`);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain("--dump-shell");
  });

  it("a restore command that fails is reported with its own message and exit 1", async () => {
    const r = await runCli([
      "restore",
      ...repoFlags(ws, { identity: ws.identity }),
      "latest",
      "--dump-name",
      "data.bin",
      "--to-command",
      "sh -c 'head -c 10 >/dev/null; echo refused-input >&2; exit 4'",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused-input");
    expect(r.stderr).toContain("exited with code 4");
  });
});
