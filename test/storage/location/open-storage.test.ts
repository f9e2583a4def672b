import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/core/errors.js";
import { openStorage } from "../../../src/storage/location/open-storage.js";
import { RetryingStorage } from "../../../src/storage/retrying-storage.js";

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

  it("opens s3:// and azure:// locations with their backend options", async () => {
    const s3 = await openStorage("s3://my-bucket/backups/app1", {
      s3: { endpoint: "http://127.0.0.1:9", region: "us-east-1" },
    });
    expect(s3.name).toBe("s3://my-bucket/backups/app1");
    expect(s3.capabilities.conditionalCreate).toBe(false); // custom endpoint: not trusted unless asked
    const az = await openStorage("azure://my-container/app1", {
      azure: { connectionString: "UseDevelopmentStorage=true", immutability: { retainForMs: 1000 } },
    });
    expect(az.name).toBe("azure://my-container/app1");
    expect(az.capabilities).toEqual({ conditionalCreate: true, objectLock: true, atomicReplace: true });
    await Promise.all([s3.close?.(), az.close?.()]);
  });

  it.each([
    ["s3://Bad_Bucket/x", /not a valid bucket name/],
    ["s3://bucket/x?region=eu", /cannot parse/],
    ["azure://a--b/x", /not a valid container name/],
    ["s3://bucket/../x", /\.\./],
    ["ftp://host/x", /unknown repository scheme "ftp:"/],
    ["local:", /no path/],
    ["", /empty/],
  ])("refuses %s with a UsageError", async (url, message) => {
    const err = await openStorage(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });
});
