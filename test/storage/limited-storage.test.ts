import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import { BandwidthLimitedStorage } from "../../src/storage/bandwidth-limited-storage.js";
import { ConcurrencyLimitedStorage } from "../../src/storage/concurrency-limited-storage.js";
import type { PutBody } from "../../src/storage/storage.js";
import { MemoryStorage } from "../fault/memory-storage.js";

const MiB = 1024 * 1024;

/** A clock whose sleeps advance time at once and are summed. */
function fakeClock() {
  let now = 0;
  let slept = 0;
  const clock: Clock = {
    now: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
      slept += ms;
    },
  };
  return { clock, slept: () => slept };
}

describe("BandwidthLimitedStorage", () => {
  it("releases bytes at the configured rate after one second of burst", async () => {
    const { clock, slept } = fakeClock();
    const memory = new MemoryStorage();
    const s = new BandwidthLimitedStorage(memory, 2 * MiB, clock);
    const body = new Uint8Array(10 * MiB).fill(9);
    await s.put("data/a", body);
    // 10 MiB at 2 MiB/s with a 2 MiB burst: 4 s of waiting.
    expect(slept()).toBeGreaterThanOrEqual(3990);
    expect(slept()).toBeLessThanOrEqual(4010);
    expect(Buffer.from(await memory.get("data/a")).equals(Buffer.from(body))).toBe(true);
  });

  it("shares the budget between concurrent puts and re-paces a retried body", async () => {
    const { clock, slept } = fakeClock();
    const s = new BandwidthLimitedStorage(new MemoryStorage(), 1 * MiB, clock);
    await Promise.all([s.put("a", new Uint8Array(3 * MiB)), s.put("b", new Uint8Array(3 * MiB))]);
    expect(slept()).toBeGreaterThanOrEqual(5 * 1000 - 10); // 6 MiB at 1 MiB/s, 1 MiB burst
    const seen: number[] = [];
    const spy = new (class extends MemoryStorage {
      override async put(key: string, body: PutBody) {
        for (let attempt = 0; attempt < 2; attempt++) {
          let n = 0;
          for await (const c of (body as () => AsyncIterable<Uint8Array>)()) n += c.length;
          seen.push(n);
        }
      }
    })();
    await new BandwidthLimitedStorage(spy, MiB, clock).put("c", new Uint8Array(MiB));
    expect(seen).toEqual([MiB, MiB]); // a stream factory: each attempt reads (and pays for) the whole body
  });
});

describe("ConcurrencyLimitedStorage", () => {
  it("keeps at most `limit` writes in flight and serves them in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    const slow = new (class extends MemoryStorage {
      override async put(key: string, body: PutBody) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        order.push(key);
        inFlight--;
        return super.put(key, body);
      }
    })();
    const s = new ConcurrencyLimitedStorage(slow, 3);
    await Promise.all(Array.from({ length: 12 }, (_, i) => s.put(`k${String(i).padStart(2, "0")}`, new Uint8Array(1))));
    expect(peak).toBe(3);
    expect(order).toHaveLength(12);
    const failing = new ConcurrencyLimitedStorage(
      new (class extends MemoryStorage {
        override async put(): Promise<void> {
          throw new Error("boom");
        }
      })(),
      1,
    );
    await expect(failing.put("a", new Uint8Array(1))).rejects.toThrow("boom");
    await expect(failing.put("b", new Uint8Array(1))).rejects.toThrow("boom"); // the slot came back after a failure
  });
});
