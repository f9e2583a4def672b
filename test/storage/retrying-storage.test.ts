import { describe, expect, it } from "vitest";
import { AbortedError, NotFoundError, StorageError } from "../../src/core/errors.js";
import type { Clock } from "../../src/core/clock.js";
import type { ObjectInfo, Storage } from "../../src/storage/storage.js";
import { RetryingStorage } from "../../src/storage/retrying-storage.js";
import { FaultyStorage, type FaultPlan } from "../fault/faulty-storage.js";
import { MemoryStorage } from "../fault/memory-storage.js";

/** Records requested sleeps and returns at once, so backoff costs no wall time. */
function fakeClock() {
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => new Date(0),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
    },
  };
  return { clock, sleeps };
}

const slowDown = () => new StorageError("s3:bucket", "data/x", "503 SlowDown", { status: 503, retryable: true });
const forbidden = () => new StorageError("s3:bucket", "data/x", "403 AccessDenied", { status: 403, retryable: false });
const reset = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });

/** Fails the first `n` calls of `op` with `make()`, then passes through. */
function failFirst(op: string, n: number, make: () => Error): FaultPlan {
  let seen = 0;
  return (o) => (o === op && seen++ < n ? make() : undefined);
}

function setup(plan: FaultPlan, random = () => 0.5) {
  const memory = new MemoryStorage();
  const faulty = new FaultyStorage(memory, plan);
  const { clock, sleeps } = fakeClock();
  const storage = new RetryingStorage(faulty, { clock, random, baseDelayMs: 100, maxDelayMs: 1000 });
  return { memory, faulty, storage, sleeps };
}

describe("RetryingStorage", () => {
  it("retries transient errors with growing, jittered delays, then succeeds", async () => {
    const { storage, faulty, sleeps, memory } = setup(failFirst("put", 4, slowDown));
    await storage.put("data/x", new Uint8Array([1, 2, 3]));
    expect(faulty.calls).toBe(5);
    // Full jitter with random() = 0.5: half of min(1000, 100 * 2^retry).
    expect(sleeps).toEqual([50, 100, 200, 400]);
    expect(await memory.get("data/x")).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("retries connection resets that are not StorageErrors", async () => {
    const { storage, faulty } = setup(failFirst("get", 1, reset));
    await expect(storage.get("data/x")).rejects.toBeInstanceOf(NotFoundError);
    expect(faulty.calls).toBe(2); // the reset was retried; NotFound was not
  });

  it("fails permanent errors at the first call", async () => {
    const { storage, faulty, sleeps } = setup(failFirst("put", 1, forbidden));
    await expect(storage.put("data/x", new Uint8Array(1))).rejects.toMatchObject({ status: 403 });
    expect(faulty.calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it("bounds the attempts and gives up with a non-retryable error", async () => {
    const { storage, faulty, sleeps } = setup(() => slowDown());
    const err = await storage.head("data/x").catch((e: unknown) => e);
    expect(faulty.calls).toBe(5);
    expect(sleeps).toHaveLength(4);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).retryable).toBe(false);
    expect((err as StorageError).status).toBe(503);
    expect((err as StorageError).message).toMatch(/after 5 attempts/);
  });

  it("caps each delay at maxDelayMs", async () => {
    const memory = new MemoryStorage();
    const { clock, sleeps } = fakeClock();
    const faulty = new FaultyStorage(memory, () => slowDown());
    const storage = new RetryingStorage(faulty, {
      clock,
      random: () => 0.999,
      attempts: 8,
      baseDelayMs: 100,
      maxDelayMs: 1000,
    });
    await storage.delete("data/x").catch(() => undefined);
    expect(Math.max(...sleeps)).toBeLessThan(1000);
    expect(sleeps).toHaveLength(7);
  });

  it("re-invokes a stream-factory body on retry", async () => {
    let invocations = 0;
    const body = async function* () {
      invocations++;
      yield new Uint8Array([7]);
    };
    // Fail inside the inner put, after it has consumed the body once.
    const memory = new MemoryStorage();
    let failed = false;
    const flaky: Storage = Object.assign(Object.create(memory) as Storage, {
      put: async (key: string, b: typeof body) => {
        await memory.put(key, b);
        if (!failed) {
          failed = true;
          throw slowDown();
        }
      },
    });
    const storage = new RetryingStorage(flaky, { clock: fakeClock().clock });
    await storage.put("data/x", body);
    expect(invocations).toBe(2);
    expect(await memory.get("data/x")).toEqual(new Uint8Array([7]));
  });

  it("restarts a listing that fails part way without yielding duplicates", async () => {
    const memory = new MemoryStorage();
    for (const k of ["data/a", "data/b", "data/c"]) await memory.put(k, new Uint8Array(1));
    let calls = 0;
    const flaky: Storage = Object.assign(Object.create(memory) as Storage, {
      list: async function* (prefix: string): AsyncIterable<ObjectInfo> {
        const failAfter = calls++ === 0 ? 2 : Infinity;
        let n = 0;
        for await (const o of memory.list(prefix)) {
          if (n++ === failAfter) throw reset();
          yield o;
        }
      },
    });
    const storage = new RetryingStorage(flaky, { clock: fakeClock().clock });
    const keys: string[] = [];
    for await (const o of storage.list("data/")) keys.push(o.key);
    expect(keys.sort()).toEqual(["data/a", "data/b", "data/c"]);
    expect(calls).toBe(2);
  });

  it("stops retrying when the signal is aborted during backoff", async () => {
    const controller = new AbortController();
    const clock: Clock = {
      now: () => new Date(0),
      sleep: async (_ms, signal) => {
        controller.abort();
        throw signal?.reason;
      },
    };
    const storage = new RetryingStorage(new FaultyStorage(new MemoryStorage(), () => slowDown()), { clock });
    await expect(storage.get("data/x", undefined, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });

  it("waits at least the Retry-After the store asked for, capped at the maximum delay", async () => {
    const throttled = (ms: number) => () =>
      new StorageError("s3:bucket", "data/x", "503 SlowDown", { status: 503, retryable: true, retryAfterMs: ms });
    const { storage, sleeps } = setup(failFirst("put", 1, throttled(700)), () => 0);
    await storage.put("data/x", new Uint8Array(1));
    expect(sleeps).toEqual([700]); // jitter alone would have waited 0
    const capped = setup(failFirst("put", 1, throttled(3_600_000)), () => 0);
    await capped.storage.put("data/x", new Uint8Array(1));
    expect(capped.sleeps).toEqual([1000]);
  });
});
