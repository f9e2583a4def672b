/**
 * docs/RELIABILITY.md S14. Transient faults injected at the HTTP
 * layer into a backup to s3rver: the backup completes through retries with
 * backoff, the repository checks clean and restores, and no object is sent
 * twice except where the store applied a write whose reply was lost.
 * Permanent faults through the CLI: fast exit 1, a message naming the bucket
 * or container and what to fix, and the repository left as it was.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateIdentity as newIdentity } from "../../src/crypto/age-keys.js";
import { Repository } from "../../src/repository/repository.js";
import { checkRepository } from "../../src/maintenance/check.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { restoreSnapshot } from "../../src/restore/restore-tree.js";
import { RetryingStorage, type RetryInfo } from "../../src/storage/retrying-storage.js";
import { S3Storage } from "../../src/storage/s3/s3-storage.js";
import { mulberry32, numericTestSeed } from "../helpers/prng.js";
import { FaultyHttpHandler, HTTP_FAULTS, type HttpFault } from "../helpers/faulty-http-handler.js";
import { S3_TEST_BUCKET, S3RVER_CREDENTIALS } from "../helpers/emulators.js";
import { startCloudTarget, type CloudTarget } from "../helpers/cloud-targets.js";
import { manifest, seededBytes } from "./helpers/kill-harness.js";
import { runCli } from "./helpers/run-cli.js";
import { generateIdentity, newWorkspace, type Workspace } from "./helpers/workspace.js";

const MiB = 1024 * 1024;

describe("transient storage faults during a backup to s3rver", () => {
  let s3: CloudTarget;
  let ws: Workspace;
  beforeAll(async () => {
    [s3, ws] = await Promise.all([startCloudTarget("s3"), newWorkspace("faults")]);
  }, 120_000);
  afterAll(async () => {
    await s3?.emulator.stop();
    await ws?.cleanup();
  });

  it("completes with bounded retries, checks clean, restores, and re-sends only lost replies", async () => {
    for (let i = 0; i < 8; i++) {
      mkdirSync(join(ws.src, `d${i % 3}`), { recursive: true });
      writeFileSync(join(ws.src, `d${i % 3}/f${i}.bin`), seededBytes(11, `f${i}`, 3 * MiB + i * 1000));
    }
    const seed = numericTestSeed("cloud-faults");
    const next = mulberry32(seed);
    // Every fault kind once, early; then about one request in six fails.
    const forced = [...HTTP_FAULTS];
    const plan = (_req: unknown, n: number): HttpFault | undefined => {
      if (n >= 3 && n % 3 === 0 && forced.length > 0) return forced.shift();
      return next() % 6 === 0 ? HTTP_FAULTS[next() % HTTP_FAULTS.length] : undefined;
    };
    const handler = new FaultyHttpHandler(plan);
    const location = { bucket: S3_TEST_BUCKET, prefix: "faults" };
    const s3opts = { endpoint: s3.emulator.endpoint, region: "us-east-1", credentials: S3RVER_CREDENTIALS };
    const retries: RetryInfo[] = [];
    // Short delays keep the test quick; attempts are generous so the seeded plan never exhausts them.
    const storage = new RetryingStorage(
      new S3Storage(location, { ...s3opts, requestHandler: handler.asRequestHandler() }),
      {
        baseDelayMs: 5,
        maxDelayMs: 40,
        attempts: 10,
        onRetry: (r) => retries.push(r),
      },
    );
    const identity = newIdentity();
    const { repo, agentKey } = await Repository.init(storage, { recipients: [identity.recipient], packSize: 2 * MiB });
    const { snapshot } = await backupPaths(repo, [ws.src], { cacheDir: ws.cache });

    expect(forced).toEqual([]); // every kind was injected
    expect(handler.injected.length).toBeGreaterThanOrEqual(HTTP_FAULTS.length);
    expect(retries).toHaveLength(handler.injected.length); // each fault cost one retry, no more
    expect(Math.max(...retries.map((r) => r.delayMs))).toBeLessThanOrEqual(40); // Retry-After (1 s) capped by maxDelayMs
    const sends = new Map<string, number>();
    for (const p of handler.delivered) sends.set(p, (sends.get(p) ?? 0) + 1);
    for (const [path, n] of sends) expect(n, path).toBe(1 + handler.lostReplies.filter((l) => l === path).length);

    const clean = new S3Storage(location, s3opts);
    const reader = await Repository.open(clean, { agentKey, identities: [identity] });
    const report = await checkRepository(reader, { readData: true });
    expect(report.problems).toEqual([]);
    expect(report.dataPacksSkipped).toBe(0);
    const target = join(ws.dir, "restored");
    await restoreSnapshot(reader, snapshot.tree, target);
    expect(manifest(join(target, ws.src))).toEqual(manifest(ws.src));
    await clean.close();
  }, 300_000);
});

describe.each(["s3", "azure"] as const)("permanent storage faults through the CLI on %s", (kind) => {
  let cloud: CloudTarget;
  let ws: Workspace;
  let recipient: string;
  beforeAll(async () => {
    [cloud, ws] = await Promise.all([startCloudTarget(kind), newWorkspace(`perm-${kind}`)]);
    recipient = await generateIdentity(ws.identity);
    writeFileSync(join(ws.src, "a.txt"), "hello");
    const r = await runCli(
      ["init", "--repo", cloud.url("perm"), "--recipient", recipient, "--agent-key-file", ws.agentKey],
      { env: cloud.env },
    );
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await cloud?.emulator.stop();
    await ws?.cleanup();
  });

  const badEnv = (): Record<string, string>[] =>
    kind === "s3"
      ? // s3rver does not verify SigV4 signatures (a wrong secret key passes there), so only an
        // unknown access key is tested here; SignatureDoesNotMatch is covered in test/storage/s3/s3-storage.test.ts.
        [{ AWS_ACCESS_KEY_ID: "NOSUCHKEY" }]
      : [
          {
            AZURE_STORAGE_CONNECTION_STRING: cloud.env.AZURE_STORAGE_CONNECTION_STRING.replace(
              /AccountKey=[^;]+/,
              `AccountKey=${Buffer.alloc(64, 1).toString("base64")}`,
            ),
          },
        ];

  it("fails fast on bad credentials, naming the location and the fix, and changes nothing", async () => {
    const before = await objectsOf(cloud);
    for (const env of badEnv()) {
      const started = Date.now();
      const r = await runCli(
        ["backup", "--repo", cloud.url("perm"), "--cache-dir", ws.cache, "--agent-key-file", ws.agentKey, ws.src],
        { env: { ...cloud.env, ...env } },
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(cloud.url("perm"));
      expect(r.stderr, r.stderr).toMatch(
        kind === "s3" ? /AWS_(SECRET_ACCESS_KEY|ACCESS_KEY_ID)/ : /AZURE_STORAGE_CONNECTION_STRING|AZURE_STORAGE_KEY/,
      );
      expect(Date.now() - started).toBeLessThan(10_000); // no retry backoff (that alone would take ~15 s)
    }
    expect(await objectsOf(cloud)).toEqual(before);
  });

  it("fails fast on a missing bucket or container, saying to create it", async () => {
    const url = kind === "s3" ? "s3://no-such-bucket/x" : "azure://no-such-container/x";
    const r = await runCli(
      ["backup", "--repo", url, "--cache-dir", ws.cache, "--agent-key-file", ws.agentKey, ws.src],
      { env: cloud.env },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      kind === "s3"
        ? /bucket no-such-bucket does not exist: create it/
        : /container no-such-container does not exist: create it/,
    );
  });
});

async function objectsOf(cloud: CloudTarget): Promise<string[]> {
  const { openStorage } = await import("../../src/storage/location/open-storage.js");
  const saved = { ...process.env };
  Object.assign(process.env, cloud.env);
  try {
    const s = await openStorage(cloud.url("perm"));
    const out: string[] = [];
    for await (const o of s.list("")) out.push(`${o.key} ${o.size} ${o.mtime.toISOString()}`);
    await s.close?.();
    return out.sort();
  } finally {
    for (const k of Object.keys(cloud.env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
