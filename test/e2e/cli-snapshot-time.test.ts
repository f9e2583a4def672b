/**
 * Snapshot times end to end: `backup --time` takes ISO 8601 in the years
 * 0000-9999 and nothing else, and `snapshots`, `latest` and `forget` agree on
 * which snapshot is the newest (src/repository/format/snapshot-order.ts), also when
 * two share a time or a record names its time with another UTC offset.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { Repository } from "../../src/repository/repository.js";
import { openStorage } from "../../src/storage/location/open-storage.js";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";

let ws: Workspace;

beforeAll(async () => {
  ws = await initWorkspace("snapshot-time");
  writeFileSync(`${ws.src}/f`, "one");
});
afterAll(() => ws?.cleanup());

async function snapshotIds(): Promise<string[]> {
  const r = await cliOk(["snapshots", ...repoFlags(ws), "--json"]);
  return (JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id);
}

/** What `snapshots` lists last, `forget --keep-last 1` keeps and `latest` restores (its file's content), through the CLI. */
async function newestByEachCommand(): Promise<{ listed: string; kept: string; latestContent: string }> {
  const listed = (await snapshotIds()).at(-1)!;
  const forget = await cliOk(["forget", ...repoFlags(ws), "--keep-last", "1", "--group-by", "", "--dry-run", "--json"]);
  const kept = (JSON.parse(forget.stdout) as { groups: { keep: { id: string }[] }[] }).groups[0].keep[0].id;
  const dump = await cliOk(["dump", ...repoFlags(ws, { identity: ws.identity }), "latest", `${ws.src}/f`]);
  return { listed, kept, latestContent: dump.stdout };
}

/** The snapshot every command must call the newest. */
function newest(id: string) {
  return { listed: id, kept: id, latestContent: contentOf.get(id) };
}

const contentOf = new Map<string, string>();

async function backupAt(time: string, content: string): Promise<string> {
  writeFileSync(`${ws.src}/f`, content);
  const r = await cliOk(["backup", ...repoFlags(ws), "--time", time, "--json", ws.src]);
  const summary = r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; snapshot?: string })
    .find((l) => l.type === "summary")!;
  contentOf.set(summary.snapshot!, content);
  return summary.snapshot!;
}

describe("backup --time", () => {
  it.each([
    ["empty", ""],
    ["a bare number (Date.parse reads 1 as the year 2001)", "1"],
    ["a year past 9999", "10000-01-01T00:00:00Z"],
    ["a six-digit year", "+010000-01-01T00:00:00Z"],
    ["a negative year", "-000001-01-01T00:00:00Z"],
    ["a day the month does not have", "2026-02-30T00:00:00Z"],
    ["an hour past 23", "2026-01-01T24:00:00Z"],
    ["an offset that moves it before the year 0000", "0000-01-01T00:30:00+01:00"],
    ["words", "yesterday"],
  ])("refuses %s with a usage error and writes nothing", async (_what, time) => {
    const before = await snapshotIds();
    const r = await runCli(["backup", ...repoFlags(ws), "--time", time, ws.src]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--time ${JSON.stringify(time)} is not a date and time in the years 0000-9999`);
    expect(r.stderr).toContain("hint: use ISO 8601");
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(await snapshotIds()).toEqual(before);
  });
});

describe("one order for snapshots, latest and forget", () => {
  it("a record whose time carries another offset is ordered by its instant, not its text", async () => {
    const older = await backupAt("2026-06-01T08:00:00Z", "older");
    const utc = await backupAt("2026-06-01T10:00:00Z", "utc");
    const repo = await Repository.open(await openStorage(ws.repo), {
      agentKey: AgentKey.parse(readFileSync(ws.agentKey, "utf8"), ws.agentKey),
    });
    const all = await repo.listSnapshots();
    const { id: _id, ...record } = all.find((s) => s.id === utc)!;
    const olderTree = all.find((s) => s.id === older)!;
    // 09:00 UTC, written the way a host two hours east of UTC would: as text it sorts after 10:00Z.
    const offset = await repo.saveSnapshot({
      ...record,
      time: "2026-06-01T11:00:00+02:00",
      tree: olderTree.tree,
      skeleton: olderTree.skeleton,
    });
    contentOf.set(offset, "older");
    expect(await snapshotIds()).toEqual([older, offset, utc]);
    expect(await newestByEachCommand()).toEqual(newest(utc));
  });

  it("accepts the edges of the range and lists them in time order", async () => {
    const late = await backupAt("9999-12-31T23:59:59Z", "late");
    const early = await backupAt("0000-01-01", "early");
    const ids = await snapshotIds();
    expect(ids[0]).toBe(early);
    expect(await newestByEachCommand()).toEqual(newest(late));
  });

  it("two snapshots with the same time: every command picks the same newest", async () => {
    const a = await backupAt("9999-12-31T23:59:59.999Z", "tie a");
    const b = await backupAt("9999-12-31T23:59:59.999Z", "tie b");
    expect(await newestByEachCommand()).toEqual(newest([a, b].sort().at(-1)!));
  });
});
