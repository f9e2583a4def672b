import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import { CrashingStorage, SimulatedCrash } from "./crashing-storage.js";
import { FaultyStorage } from "./faulty-storage.js";
import { MemoryStorage } from "./memory-storage.js";
import { RecordingStorage } from "./recording-storage.js";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("CrashingStorage", () => {
  it("dies on the k-th mutation and stays dead", async () => {
    const memory = new MemoryStorage();
    const s = new CrashingStorage(memory, 3);
    await s.put("a", bytes(1));
    expect(await s.get("a")).toEqual(bytes(1)); // reads do not count
    await s.delete("a");
    await expect(s.put("b", bytes(2))).rejects.toBeInstanceOf(SimulatedCrash);
    expect(s.mutations).toBe(2);
    expect(s.crashed).toBe(true);
    expect(await memory.head("b")).toBeUndefined(); // the crashing mutation never landed
    await expect(s.head("a")).rejects.toBeInstanceOf(SimulatedCrash);
    await expect(s.getStream("a")).rejects.toBeInstanceOf(SimulatedCrash);
  });

  it("counts every mutation when k is Infinity, for a crash-point sweep", async () => {
    const s = new CrashingStorage(new MemoryStorage(), Infinity);
    await s.put("a", bytes(1));
    await s.putIfAbsent("b", bytes(1));
    expect(s.mutations).toBe(2);
  });
});

describe("FaultyStorage", () => {
  it("throws planned errors and damages planned reads", async () => {
    const memory = new MemoryStorage();
    await memory.put("k", bytes(1, 2, 3, 4));
    const plan = (op: string, _key: string, i: number) =>
      i === 0 ? new Error("boom") : i === 1 ? ("corrupt-read" as const) : i === 2 ? ("short-read" as const) : undefined;
    const s = new FaultyStorage(memory, plan);
    await expect(s.get("k")).rejects.toThrow("boom");
    expect(await s.get("k")).toEqual(bytes(1, 2, 2, 4));
    expect(await s.get("k")).toEqual(bytes(1, 2));
    expect(await s.get("k")).toEqual(bytes(1, 2, 3, 4));
  });
});

describe("RecordingStorage", () => {
  it("logs operations with sizes", async () => {
    const s = new RecordingStorage(new MemoryStorage());
    await s.put("a", async function* () {
      yield bytes(1, 2);
      yield bytes(3);
    });
    await s.get("a", { offset: 1, length: 5 });
    for await (const _ of s.list("")) void _;
    await s.delete("a");
    expect(s.log).toEqual([
      { op: "put", key: "a", size: 3 },
      { op: "get", key: "a", size: 2 },
      { op: "list", key: "" },
      { op: "delete", key: "a" },
    ]);
  });
});

describe("MemoryStorage", () => {
  it("stamps mtimes from its clock", async () => {
    const clock: Clock = { now: () => new Date("2031-05-01T00:00:00Z"), sleep: async () => {} };
    const s = new MemoryStorage(clock);
    await s.put("a", bytes(1));
    expect((await s.head("a"))?.mtime.toISOString()).toBe("2031-05-01T00:00:00.000Z");
  });
});
