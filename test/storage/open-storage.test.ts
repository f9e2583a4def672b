import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { openStorage } from "../../src/storage/open-storage.js";
import { RetryingStorage } from "../../src/storage/retrying-storage.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cairn-open-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("openStorage", () => {
  it.each([
    ["a plain path", (d: string) => d],
    ["a file:// URL", (d: string) => pathToFileURL(d).href],
    ["a local: URL", (d: string) => `local:${d}`],
  ])("opens %s as local storage with retries", async (_label, toUrl) => {
    const s = await openStorage(toUrl(join(dir, "repo")));
    expect(s).toBeInstanceOf(RetryingStorage);
    expect(s.name).toBe(`local:${join(dir, "repo")}`);
    await s.put("config", new Uint8Array([1]));
    expect(await s.get("config")).toEqual(new Uint8Array([1]));
  });

  it.each([
    ["s3://bucket/prefix", /S3 backend not available yet/],
    ["azure://container/prefix", /Azure backend not available yet/],
    ["ftp://host/x", /unknown repository scheme "ftp:"/],
    ["local:", /no path/],
    ["", /empty/],
  ])("refuses %s with a UsageError", async (url, message) => {
    const err = await openStorage(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });
});
