import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError } from "../../src/core/errors.js";
import type { ObjectInfo, Storage } from "../../src/storage/storage.js";

export interface ContractSubject {
  storage: Storage;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;
/** Size of the contract's large objects; backends under test set their multipart threshold below it. */
export const CONTRACT_LARGE_OBJECT = 20 * MiB;

/**
 * The Storage contract (src/storage/storage.ts), run unchanged on every
 * backend: local, memory, s3rver and azurite. Each test gets a
 * fresh, empty store from `make`.
 */
export function runStorageContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`storage contract: ${name}`, () => {
    let subject: ContractSubject;
    let s: Storage;
    beforeEach(async () => {
      subject = await make();
      s = subject.storage;
    });
    afterEach(async () => {
      await subject.storage.close?.();
      await subject.cleanup();
    });

    describe("put and get", () => {
      it("round-trips bytes", async () => {
        const bytes = randomBytes(10_000);
        await s.put("data/ab/round-trip", bytes);
        expect(Buffer.from(await s.get("data/ab/round-trip")).equals(bytes)).toBe(true);
      });

      it("accepts a stream-factory body", async () => {
        const parts = [randomBytes(100), randomBytes(0), randomBytes(5000)];
        await s.put("data/stream", streamOf(parts), { size: 5100 });
        expect(Buffer.from(await s.get("data/stream")).equals(Buffer.concat(parts))).toBe(true);
      });

      it("streams a whole object back with getStream", async () => {
        const bytes = randomBytes(300_000);
        await s.put("data/get-stream", bytes);
        expect((await readAll(await s.getStream("data/get-stream"))).equals(bytes)).toBe(true);
      });

      it("stores an empty object", async () => {
        await s.put("data/empty", new Uint8Array(0));
        expect((await s.get("data/empty")).length).toBe(0);
        expect((await s.get("data/empty", { offset: 0, length: 10 })).length).toBe(0);
        expect((await s.head("data/empty"))?.size).toBe(0);
        expect(await listAll(s, "data/")).toEqual([expect.objectContaining({ key: "data/empty", size: 0 })]);
      });

      it("stores a large streamed object (20 MiB, above the cloud backends' multipart thresholds in these tests)", async () => {
        const chunk = (i: number) => createHash("sha512").update(`chunk ${i}`).digest().subarray(0, 64);
        const body = async function* () {
          for (let i = 0; i < CONTRACT_LARGE_OBJECT / MiB; i++) yield Buffer.alloc(MiB, chunk(i)); // MiB i repeats a 64-byte pattern
        };
        const expected = createHash("sha256");
        for await (const part of body()) expected.update(part);
        await s.put("data/large", body, { size: CONTRACT_LARGE_OBJECT });
        expect((await s.head("data/large"))?.size).toBe(CONTRACT_LARGE_OBJECT);
        const got = createHash("sha256");
        for await (const part of await s.getStream("data/large")) got.update(part);
        expect(got.digest("hex")).toBe(expected.digest("hex"));
        const mid = await s.get("data/large", { offset: 7 * MiB + 3, length: 1000 });
        const pattern = Buffer.concat(Array.from({ length: 17 }, () => chunk(7))); // 1088 bytes of MiB 7's pattern
        expect(Buffer.from(mid).equals(pattern.subarray(3, 1003))).toBe(true);
      });

      it("reads every object back byte for byte, whatever the body's shape", async () => {
        // Catches a client that sends bodies the store keeps in another encoding
        // (aws-chunked streaming signatures on s3rver): sizes match, bytes do not.
        const big = randomBytes(CONTRACT_LARGE_OBJECT + 12_345);
        const offsetView = new Uint8Array(randomBytes(70_000).buffer, 1_000, 65_537); // a view that starts inside its buffer
        const written = new Map<string, Uint8Array>([
          ["data/rb/one-byte", randomBytes(1)],
          ["data/rb/view", offsetView],
          ["data/rb/buffer", randomBytes(300_001)],
          ["data/rb/large-buffer", big],
        ]);
        for (const [k, v] of written) await s.put(k, v);
        const odd = [randomBytes(7), randomBytes(65_536), randomBytes(0), randomBytes(1_000_003)];
        await s.put("data/rb/stream-odd", streamOf(odd), { size: 1_065_546 });
        await s.put("data/rb/stream-no-size", streamOf([big.subarray(0, 3 * MiB), big.subarray(3 * MiB)]));
        written.set("data/rb/stream-odd", Buffer.concat(odd)).set("data/rb/stream-no-size", big);
        for (const [k, v] of written) {
          expect(Buffer.from(await s.get(k)).equals(v), `get ${k}`).toBe(true);
          expect((await readAll(await s.getStream(k))).equals(v), `getStream ${k}`).toBe(true);
          expect((await s.head(k))?.size, `head ${k}`).toBe(v.length);
        }
        const tail = await s.get("data/rb/large-buffer", { offset: big.length - 100, length: 1000 });
        expect(Buffer.from(tail).equals(big.subarray(big.length - 100))).toBe(true);
      });

      it("keeps an overwrite with the same bytes idempotent", async () => {
        const bytes = randomBytes(1000);
        await s.put("data/same", bytes);
        await s.put("data/same", bytes);
        expect(Buffer.from(await s.get("data/same")).equals(bytes)).toBe(true);
        expect((await listAll(s, "data/")).map((o) => o.key)).toEqual(["data/same"]);
      });

      it("handles concurrent puts of different keys", async () => {
        const bodies = Array.from({ length: 50 }, () => randomBytes(2000));
        await Promise.all(bodies.map((b, i) => s.put(`data/c${i % 5}/obj-${i}`, b)));
        for (const [i, b] of bodies.entries()) {
          expect(Buffer.from(await s.get(`data/c${i % 5}/obj-${i}`)).equals(b)).toBe(true);
        }
        expect(await listAll(s, "data/")).toHaveLength(50);
      });
    });

    describe("ranged get", () => {
      const bytes = randomBytes(1000);
      beforeEach(() => s.put("data/ranged", bytes));
      const cases: [string, number, number, number][] = [
        ["start", 0, 10, 10],
        ["middle", 500, 100, 100],
        ["end", 990, 10, 10],
        ["past end (short read)", 995, 10, 5],
        ["at end (empty)", 1000, 10, 0],
        ["zero length", 10, 0, 0],
      ];
      for (const [label, offset, length, expected] of cases) {
        it(`reads ${label}`, async () => {
          const got = await s.get("data/ranged", { offset, length });
          expect(got.length).toBe(expected);
          expect(Buffer.from(got).equals(bytes.subarray(offset, offset + expected))).toBe(true);
        });
      }
    });

    describe("missing objects", () => {
      it("head returns undefined", async () => {
        expect(await s.head("data/missing")).toBeUndefined();
      });

      it("get, ranged get and getStream throw NotFoundError", async () => {
        await expect(s.get("data/missing")).rejects.toBeInstanceOf(NotFoundError);
        await expect(s.get("data/missing", { offset: 0, length: 1 })).rejects.toBeInstanceOf(NotFoundError);
        await expect(s.getStream("data/missing").then(readAll)).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("head", () => {
      it("reports size and a store mtime close to now", async () => {
        const before = Date.now();
        await s.put("keys/k1", randomBytes(123));
        const info = await s.head("keys/k1");
        expect(info?.key).toBe("keys/k1");
        expect(info?.size).toBe(123);
        // Generous: the store's clock is not the host's (invariant 6), but both should be sane.
        expect(Math.abs(info!.mtime.getTime() - before)).toBeLessThan(10 * 60_000);
      });
    });

    describe("list", () => {
      it("yields every key across pages (> 1000 keys) with sizes", async () => {
        const keys = Array.from({ length: 1100 }, (_, i) => `data/${hex2(i % 16)}/${String(i).padStart(6, "0")}`);
        await mapLimit(keys, 32, (k, i) => s.put(k, new Uint8Array(i % 7)));
        await s.put("snapshots/not-data", new Uint8Array(1));
        const listed = await listAll(s, "data/");
        expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
        const sizes = new Map(listed.map((o) => [o.key, o.size]));
        keys.forEach((k, i) => expect(sizes.get(k)).toBe(i % 7));
        for (const o of listed) expect(o.mtime).toBeInstanceOf(Date);
      });

      it("separates nested prefixes", async () => {
        for (const k of ["a/b/1", "a/b/2", "a/c/3", "a/4", "ab/5", "b/6"]) await s.put(k, new Uint8Array(1));
        expect(await listKeys(s, "a/")).toEqual(["a/4", "a/b/1", "a/b/2", "a/c/3"]);
        expect(await listKeys(s, "a/b/")).toEqual(["a/b/1", "a/b/2"]);
        expect(await listKeys(s, "b/")).toEqual(["b/6"]);
        expect(await listKeys(s, "")).toHaveLength(6);
      });

      it("matches a prefix that ends inside a name, as object stores do", async () => {
        for (const k of ["data/0a/x", "data/0b/y", "data/1a/z"]) await s.put(k, new Uint8Array(1));
        expect(await listKeys(s, "data/0")).toEqual(["data/0a/x", "data/0b/y"]);
        expect(await listKeys(s, "data/0a/")).toEqual(["data/0a/x"]);
      });

      it("yields nothing for an empty or unused prefix", async () => {
        expect(await listAll(s, "")).toEqual([]);
        expect(await listAll(s, "snapshots/")).toEqual([]);
        await s.put("data/x", new Uint8Array(1));
        expect(await listAll(s, "snapshots/")).toEqual([]);
      });
    });

    describe("delete", () => {
      it("removes an object and is idempotent", async () => {
        await s.put("locks/l1", randomBytes(10));
        await s.delete("locks/l1");
        expect(await s.head("locks/l1")).toBeUndefined();
        await expect(s.get("locks/l1")).rejects.toBeInstanceOf(NotFoundError);
        expect(await listAll(s, "locks/")).toEqual([]);
        await s.delete("locks/l1");
        await s.delete("locks/never-existed");
      });
    });

    describe("putIfAbsent", () => {
      it("creates once and leaves the first content in place", async () => {
        const first = randomBytes(100);
        expect(await s.putIfAbsent("config", first)).toBe(true);
        expect(await s.putIfAbsent("config", randomBytes(100))).toBe(false);
        expect(Buffer.from(await s.get("config")).equals(first)).toBe(true);
      });

      it("accepts a stream-factory body", async () => {
        const parts = [randomBytes(10), randomBytes(20)];
        expect(await s.putIfAbsent("locks/x", streamOf(parts))).toBe(true);
        expect(await s.putIfAbsent("locks/x", streamOf(parts))).toBe(false);
        expect(Buffer.from(await s.get("locks/x")).equals(Buffer.concat(parts))).toBe(true);
      });

      it("lets exactly one of several concurrent creators win, where enforced", async (ctx) => {
        // Emulated create-if-absent (head + put) is racy by contract; such a backend's
        // conditional request is checked by a request-shape test instead.
        ctx.skip(
          !s.capabilities.conditionalCreate,
          `${s.name} does not enforce conditional create (capabilities.conditionalCreate = false)`,
        );
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => s.putIfAbsent("locks/race", Buffer.from(`w${i}`))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(Buffer.from(await s.get("locks/race")).toString()).toBe(`w${winner}`);
      });
    });
  });
}

function streamOf(parts: Uint8Array[]): () => AsyncIterable<Uint8Array> {
  return async function* () {
    for (const p of parts) yield p;
  };
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return Buffer.concat(parts);
}

async function listAll(s: Storage, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of s.list(prefix)) out.push(o);
  return out;
}

async function listKeys(s: Storage, prefix: string): Promise<string[]> {
  return (await listAll(s, prefix)).map((o) => o.key).sort();
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** Runs `fn` over `items` with at most `limit` in flight (cloud backends throttle bursts). */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
