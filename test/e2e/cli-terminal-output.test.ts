/**
 * Human output never hands a terminal a control character from a host name,
 * a tag, a path or a message (src/cli/shared/terminal-text.ts): an escape
 * sequence in a snapshot record must not recolour, retitle or clear the
 * screen of whoever lists the repository. JSON output keeps the raw values.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli, type CliResult } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";

const HOST = "web\x1b]0;pwned\x07-1";
const TAG = "nightly\x1b[31m\r\nforged line";
const DIR = "dir\x1b[2J\x9b31m";
// Every control character but the line breaks cairn writes itself (and the \r that redraws progress lines).
// eslint-disable-next-line no-control-regex -- control characters are what this test looks for
const RAW_CONTROL = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]/;

let ws: Workspace;
let socket: Server;
let root: string;

beforeAll(async () => {
  ws = await initWorkspace("terminal");
  root = join(ws.src, DIR);
  mkdirSync(root);
  writeFileSync(join(root, "f\x1b[1mbold"), "data");
  // A socket is skipped with a warning naming it: a path with control characters in a warning line.
  socket = createServer();
  await new Promise<void>((done) => socket.listen(join(root, "sock\x07et"), done));
});
afterAll(async () => {
  socket?.close();
  await ws?.cleanup();
});

function expectEscaped(r: CliResult, ...escaped: string[]): void {
  const all = r.stdout + r.stderr;
  expect(all, all).not.toMatch(RAW_CONTROL);
  for (const e of escaped) expect(all).toContain(e);
}

describe("human output escapes control characters", () => {
  it("backup: the warning naming a skipped socket", async () => {
    const r = await runCli(["backup", ...repoFlags(ws), "--host", HOST, "--tag", TAG, root]);
    expect(r.code).toBe(3);
    expectEscaped(r, "sock\\x07et");
  });

  it("snapshots: host, tags and paths", async () => {
    const r = await cliOk(["snapshots", ...repoFlags(ws)]);
    expectEscaped(r, "web\\x1b]0;pwned\\x07-1", "nightly\\x1b[31m\\x0d\\x0aforged line", "dir\\x1b[2J\\xc2\\x9b31m");
    expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("snapshots --json keeps the raw values", async () => {
    const [s] = JSON.parse((await cliOk(["snapshots", ...repoFlags(ws), "--json"])).stdout) as {
      host: string;
      tags: string[];
      paths: string[];
    }[];
    expect(s).toMatchObject({ host: HOST, tags: [TAG], paths: [root] });
  });

  it("forget: the group's host and paths", async () => {
    const r = await cliOk(["forget", ...repoFlags(ws), "--keep-last", "1", "--dry-run"]);
    expectEscaped(r, "host web\\x1b]0;pwned\\x07-1", "dir\\x1b[2J\\xc2\\x9b31m");
  });

  it("ls and restore: names and the include path that matched nothing", async () => {
    const flags = repoFlags(ws, { identity: ws.identity });
    expectEscaped(await cliOk(["ls", ...flags, "latest"]), "f\\x1b[1mbold");
    const r = await cliOk([
      "restore",
      ...flags,
      "latest",
      "--target",
      join(ws.dir, "out"),
      "--include",
      "/no\x1b[5mwhere",
    ]);
    expectEscaped(r, "/no\\x1b[5mwhere: include path matched nothing");
  });

  it("errors: a message quoting what the user gave", async () => {
    const r = await runCli(["ls", ...repoFlags(ws, { identity: ws.identity }), "latest", "/gone\x1b[8m"]);
    expect(r.code).toBe(1);
    expectEscaped(r, "/gone\\x1b[8m");
  });
});
