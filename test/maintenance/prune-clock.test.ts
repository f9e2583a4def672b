/**
 * Clocks (FORMAT.md §Prune, Clocks): prune judges store times (mark and pack
 * ages) by the host's clock, so it refuses when the store dates a fresh object
 * further from the host's time than a quarter of the grace period; a backup's
 * commit check judges mark ages by the later of its clock and the store's.
 * The store's clock is a MemoryStorage whose mtimes come from a skewed clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import type { AgentKey } from "../../src/crypto/agent-key.js";
import { ClockSkewError, RepositoryError } from "../../src/core/errors.js";
import { backupPaths } from "../../src/pipeline/backup.js";
import { PRUNE_PREFIX, snapshotKey } from "../../src/repository/format/layout.js";
import { prune } from "../../src/maintenance/prune.js";
import { Repository } from "../../src/repository/repository.js";
import { MemoryStorage } from "../fault/memory-storage.js";
import { writeVersionFiles } from "../repository/version-files.js";

const G = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "cairn-prune-clock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const src = join(dir, "src");
const identity = generateIdentity();

/** True time; the host's and the store's clocks are this plus their own offsets. */
let t = 0;
let hostOffset = 0;
let storeOffset = 0;
const host: Clock = { now: () => new Date(t + hostOffset), sleep: async () => undefined };
const storeClock: Clock = { now: () => new Date(t + storeOffset), sleep: async () => undefined };
let mem: MemoryStorage;
let agentKey: AgentKey;

const open = (clock: Clock = host) => Repository.open(mem, { agentKey, identities: [identity], clock });
const backup = async (repo?: Repository) =>
  (await backupPaths(repo ?? (await open()), [src], { workers: 0, time: host.now() })).snapshotId;
const objects = () => [...mem.objects.keys()].sort();

beforeEach(async () => {
  t = Date.parse("2026-01-01T00:00:00Z");
  hostOffset = storeOffset = 0;
  mem = new MemoryStorage(storeClock);
  ({ agentKey } = await Repository.init(mem, {
    recipients: [identity.recipient],
    packSize: 32 * 1024,
    chunker: { min: 1024, avg: 4096, max: 16384 },
    clock: host,
  }));
  writeVersionFiles(src, 1);
  await mem.delete(snapshotKey(await backup()));
  t += 2 * G;
});

describe("prune and clock skew", () => {
  it.each([
    ["ahead of", 1],
    ["behind", -1],
  ])(
    "refuses, naming both clocks, when this host's clock runs %s the store's by more than a quarter of the grace period",
    async (_, sign) => {
      hostOffset = sign * (G / 4 + 5_000);
      const before = objects();
      const err = await prune(await open(), { graceMs: G, force: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClockSkewError);
      const e = err as ClockSkewError;
      expect(e.message).toContain(new Date(t + hostOffset).toISOString());
      expect(e.message).toContain(new Date(t).toISOString());
      expect(e.message).toContain(mem.name);
      expect(e.hint).toMatch(/clock/);
      expect(Math.sign(e.skewMs)).toBe(-sign);
      expect(objects()).toEqual(before); // nothing condemned, the probe removed
    },
  );

  it("goes ahead within the bound and reports the skew it measured", async () => {
    hostOffset = G / 4 - 5_000;
    const r = await prune(await open(), { graceMs: G, force: true });
    expect(r.packsMarked).toBeGreaterThan(0);
    expect(r.clockSkewMs).toBeLessThan(0); // the store is behind this host: within a second (the store-time resolution) of the offset
    expect(Math.abs(r.clockSkewMs + hostOffset)).toBeLessThanOrEqual(1000);
    expect(objects().filter((k) => k.startsWith(PRUNE_PREFIX))).toHaveLength(1); // the mark, not the probe
  });

  it("a longer grace period absorbs the same skew", async () => {
    hostOffset = G / 4 + 5_000;
    await expect(prune(await open(), { graceMs: G, force: true })).rejects.toThrow(ClockSkewError);
    expect((await prune(await open(), { graceMs: 2 * G, force: true })).packsMarked).toBeGreaterThan(0);
  });

  it("a dry run writes nothing, not even the probe", async () => {
    hostOffset = G;
    const before = objects();
    await prune(await open(), { graceMs: G, force: true, dryRun: true });
    expect(objects()).toEqual(before);
  });
});

describe("a backup's commit check and clock skew", () => {
  it("judges a mark's age by the store's clock when this host's lags it", async () => {
    const lagging: Clock = { now: () => new Date(t - 0.4 * G), sleep: async () => undefined };
    const early = await open(lagging);
    await early.loadIndex(); // a backup on a host whose clock is 0.4 G behind, started before the prune
    expect((await prune(await open(), { graceMs: G, force: true })).packsMarked).toBeGreaterThan(0);
    t += 0.6 * G; // the mark is 0.6 G old; the lagging host's clock says 0.2 G
    writeVersionFiles(src, 2, 4, 2); // reuses condemned data and writes new packs (an index file: a store time)
    await expect(backupPaths(early, [src], { workers: 0, time: lagging.now() })).rejects.toThrow(RepositoryError);
  });
});
