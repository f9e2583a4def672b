/**
 * `cairn sync` from S3 to Azure to a local directory,
 * each hop interrupted halfway (a crashing target, then kill -9 of the CLI)
 * and re-run; the final copy restores identically with
 * the identity. sync itself never sees a key.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureStorage } from "../../src/storage/azure/azure-storage.js";
import { S3Storage } from "../../src/storage/s3/s3-storage.js";
import { syncStorage } from "../../src/storage/sync.js";
import { CrashingStorage, SimulatedCrash } from "../fault/crashing-storage.js";
import { listObjects as objectKeys, manifest, seededBytes, seededText } from "./helpers/kill-harness.js";
import { runAndKill } from "./helpers/kill-process.js";
import { cliOk } from "./helpers/run-cli.js";
import { generateIdentity, listObjects, newWorkspace, type Workspace } from "./helpers/workspace.js";
import { startCloudTarget, type CloudTarget } from "../helpers/cloud-targets.js";
import { S3_TEST_BUCKET, S3RVER_CREDENTIALS } from "../helpers/emulators.js";

const MiB = 1024 * 1024;

describe("cairn sync: S3 -> Azure -> local", () => {
  let s3: CloudTarget;
  let azure: CloudTarget;
  let ws: Workspace;
  let env: Record<string, string>;
  beforeAll(async () => {
    [s3, azure, ws] = await Promise.all([startCloudTarget("s3"), startCloudTarget("azure"), newWorkspace("sync")]);
    env = { ...s3.env, ...azure.env };
  }, 120_000);
  afterAll(async () => {
    await Promise.all([s3?.emulator.stop(), azure?.emulator.stop()]);
    await ws?.cleanup();
  });

  it("copies, survives an interruption, and the last copy restores identically", async () => {
    const run = (args: string[]) => cliOk(args, { env, timeoutMs: 180_000 });
    for (let i = 0; i < 6; i++) {
      mkdirSync(join(ws.src, `d${i % 2}`), { recursive: true });
      writeFileSync(join(ws.src, `d${i % 2}/f${i}.bin`), seededBytes(5, `f${i}`, 2 * MiB + i));
    }
    writeFileSync(join(ws.src, "notes.txt"), seededText(5, "notes", 200_000));
    const recipient = await generateIdentity(ws.identity);
    const source = s3.url("app1");
    const flags = ["--repo", source, "--cache-dir", ws.cache, "--agent-key-file", ws.agentKey];
    await run([
      "init",
      "--repo",
      source,
      "--recipient",
      recipient,
      "--agent-key-file",
      ws.agentKey,
      "--pack-size",
      "1",
    ]);
    await run(["backup", ...flags, ws.src]);
    writeFileSync(join(ws.src, "d0/later.bin"), seededBytes(5, "later", 1 * MiB));
    await run(["backup", ...flags, ws.src]);

    // Interrupt the first sync halfway: the target "dies" on its k-th write.
    const from = new S3Storage(
      { bucket: S3_TEST_BUCKET, prefix: "app1" },
      { endpoint: s3.emulator.endpoint, region: "us-east-1", credentials: S3RVER_CREDENTIALS },
    );
    const total = await count(from.list(""));
    expect(total).toBeGreaterThan(12);
    const half = Math.floor(total / 2);
    const drTarget = new AzureStorage(
      { bucket: "cairn-test", prefix: "dr/app1" },
      { connectionString: azure.env.AZURE_STORAGE_CONNECTION_STRING },
    );
    await expect(syncStorage(from, new CrashingStorage(drTarget, half + 1), { concurrency: 1 })).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(await count(drTarget.list(""))).toBe(half);

    const resumed = JSON.parse(
      (await run(["sync", "--from", source, "--to", azure.url("dr/app1"), "--json"])).stdout,
    ) as Record<string, unknown>;
    expect(resumed).toMatchObject({ copied: total - half, skipped: half, problems: [] });
    const again = JSON.parse(
      (await run(["sync", "--from", source, "--to", azure.url("dr/app1"), "--json"])).stdout,
    ) as Record<string, unknown>;
    expect(again).toMatchObject({ copied: 0, skipped: total });

    // Azure -> local, killed (SIGKILL) once half the objects have landed; paced with
    // --limit-upload so the copy cannot finish before the poll sees that state.
    const local = join(ws.dir, "local-copy");
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const started = Date.now();
    const killed = await runAndKill(
      ["sync", "--from", azure.url("dr/app1"), "--to", local, "--concurrency", "1", "--limit-upload", "4"],
      { kind: "poll", when: () => objectKeys(local, "").length >= half, label: "half copied" },
      "SIGKILL",
      120_000,
    ).finally(() => {
      for (const k of Object.keys(env)) delete process.env[k];
      Object.assign(process.env, saved);
    });
    expect(killed.killed, killed.stderr).toBe(true);
    const landed = objectKeys(local, "").length;
    expect(landed).toBeGreaterThanOrEqual(half);
    expect(landed).toBeLessThan(total);
    expect(objectKeys(local, "snapshots/")).toEqual([]); // the commit objects go last
    const finished = JSON.parse(
      (await run(["sync", "--from", azure.url("dr/app1"), "--to", local, "--limit-upload", "4", "--json"])).stdout,
    ) as Record<string, number>;
    expect(finished).toMatchObject({ copied: total - landed, skipped: landed });
    // ~14 MiB through a 4 MiB/s limit cannot take less than ~1.5 s in all: each of the two
    // processes starts with a full 1 s (4 MiB) burst. (2.5 s ignored the second burst: failed once at 2.34 s.)
    expect(Date.now() - started).toBeGreaterThan(1_200);
    expect(await listObjects(local)).toHaveLength(total);

    const target = join(ws.dir, "restored");
    const localFlags = ["--repo", local, "--cache-dir", join(ws.dir, "cache2"), "--identity", ws.identity];
    await run(["restore", "latest", ...localFlags, "--target", target]);
    expect(manifest(join(target, ws.src))).toEqual(manifest(ws.src));
    const check = await run(["check", ...localFlags, "--read-data"]);
    expect(check.stdout).toMatch(/no problems found/);
    await from.close();
  }, 300_000);
});

async function count(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}
