/**
 * init, backup, incremental backup, restore and
 * check --read-data through the real CLI against s3rver and azurite, with a
 * multi-file dataset of just over 200 MiB, and a byte-identical restore.
 */
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifest, seededBytes, seededText } from "./helpers/kill-harness.js";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { generateIdentity, newWorkspace, type Workspace } from "./helpers/workspace.js";
import { CLOUD_KINDS, startCloudTarget, type CloudTarget } from "../helpers/cloud-targets.js";

const MiB = 1024 * 1024;
const SEED = 3;

/** 12 x 16 MiB incompressible files, 8 MiB of text, 400 small files: 204+ MiB, written in about a second. */
function writeDataset(root: string): void {
  for (let i = 0; i < 12; i++) {
    mkdirSync(join(root, `big/d${i % 3}`), { recursive: true });
    writeFileSync(join(root, `big/d${i % 3}/blob-${i}.bin`), seededBytes(SEED, `big${i}`, 16 * MiB));
  }
  mkdirSync(join(root, "text"), { recursive: true });
  writeFileSync(join(root, "text/log.txt"), seededText(SEED, "log", 8 * MiB));
  for (let i = 0; i < 400; i++) {
    const dir = join(root, `small/s${i % 20}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.dat`), seededBytes(SEED, `small${i}`, 1 + ((i * 7919) % 60_000)));
  }
}

describe.each(CLOUD_KINDS)("end to end through the CLI on %s (emulated)", (kind) => {
  let cloud: CloudTarget;
  let ws: Workspace;
  let recipient: string;
  let flags: string[];
  beforeAll(async () => {
    [cloud, ws] = await Promise.all([startCloudTarget(kind), newWorkspace(`cloud-${kind}`)]);
    recipient = await generateIdentity(ws.identity);
    writeDataset(ws.src);
    flags = ["--repo", cloud.url("e2e"), "--cache-dir", ws.cache, "--agent-key-file", ws.agentKey];
  }, 120_000);
  afterAll(async () => {
    await cloud?.emulator.stop();
    await ws?.cleanup();
  });
  const run = (args: string[], timeoutMs = 300_000) => cliOk(args, { env: cloud.env, timeoutMs });

  it("backs up 200 MiB, backs up a change incrementally, restores identically and checks clean", async () => {
    await run(["init", "--repo", cloud.url("e2e"), "--recipient", recipient, "--agent-key-file", ws.agentKey]);
    const first = summaryOf((await run(["backup", ...flags, "--json", ws.src])).stdout);
    expect(first.bytesTotal).toBeGreaterThanOrEqual(200 * MiB);
    expect(first.bytesStored).toBeGreaterThan(190 * MiB); // mostly incompressible

    appendFileSync(join(ws.src, "text/log.txt"), seededText(SEED, "more", 100_000));
    writeFileSync(join(ws.src, "small/new.dat"), seededBytes(SEED, "new", 300_000));
    rmSync(join(ws.src, "big/d1/blob-4.bin"));
    const second = summaryOf((await run(["backup", ...flags, "--json", ws.src])).stdout);
    expect(second.filesUnchanged).toBeGreaterThan(400);
    expect(second.bytesStored).toBeLessThan(2 * MiB); // only the change travels

    const target = join(ws.dir, "restored");
    await run(["restore", "latest", ...flags, "--identity", ws.identity, "--target", target]);
    expect(manifest(join(target, ws.src))).toEqual(manifest(ws.src));

    const check = await runCli(["check", ...flags, "--identity", ws.identity, "--read-data"], {
      env: cloud.env,
      timeoutMs: 300_000,
    });
    expect(check.stdout).toMatch(/no problems found/);
    expect(check.code).toBe(0);
  }, 600_000);
});

function summaryOf(stdout: string): Record<string, number> {
  const line = stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.type === "summary");
  if (!line) throw new Error(`no summary in ${stdout}`);
  return line as Record<string, number>;
}
