import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/core/errors.js";
import { addStorageFlags, storageSettingsFromFlags, type StorageFlags } from "../../../src/cli/shared/storage-flags.js";
import { DATA_PREFIX } from "../../../src/repository/format/layout.js";
import { parseRetainFor, storageOptions } from "../../../src/storage/location/storage-settings.js";

const DAY = 86_400_000;

/** The flags as the CLI opens a repository with them (src/jobs/open-repository.ts). */
function storageOpenOptions(f: StorageFlags) {
  return storageOptions(storageSettingsFromFlags(f), [DATA_PREFIX]);
}

function parse(args: string[], env: Record<string, string> = {}): StorageFlags {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const cmd = addStorageFlags(new Command("x").exitOverride()).action(() => {});
    cmd.parse(args, { from: "user" });
    return cmd.opts<StorageFlags>();
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe("backend flags", () => {
  it("turns flags and environment variables into backend options", () => {
    const o = storageOpenOptions(
      parse(
        [
          "--s3-endpoint",
          "http://minio:9000",
          "--s3-path-style",
          "no",
          "--s3-storage-class",
          "GLACIER_IR",
          "--retain-for",
          "30d",
          "--s3-object-lock-mode",
          "compliance",
          "--limit-upload",
          "2.5",
        ],
        {
          CAIRN_AZURE_TIER: "cool",
          CAIRN_UPLOAD_CONCURRENCY: "6",
        },
      ),
    );
    expect(o.s3).toMatchObject({
      endpoint: "http://minio:9000",
      pathStyle: false,
      storageClass: "GLACIER_IR",
      storageClassPrefixes: ["data/"],
      objectLock: { mode: "COMPLIANCE", retainForMs: 30 * DAY },
    });
    expect(o.azure).toMatchObject({ tier: "Cool", tierPrefixes: ["data/"], immutability: { retainForMs: 30 * DAY } });
    expect(o.uploadConcurrency).toBe(6);
    expect(o.uploadBytesPerSecond).toBe(Math.round(2.5 * 1024 * 1024));
  });

  it("leaves everything unset by default (no lock, no limit)", () => {
    const o = storageOpenOptions(parse([]));
    expect(o.s3?.objectLock).toBeUndefined();
    expect(o.azure?.immutability).toBeUndefined();
    expect(o.uploadBytesPerSecond).toBeUndefined();
    expect(o.uploadConcurrency).toBeUndefined();
  });

  it.each([
    [["--s3-checksum", "crc"], /--s3-checksum "crc": expected one of md5, sdk, off/],
    [["--s3-path-style", "maybe"], /expected yes or no/],
    [["--upload-concurrency", "0"], /positive integer/],
    [["--limit-upload", "-1"], /positive number/],
    [["--retain-for", "30 days"], /not a duration/],
    [["--azure-tier", "Archive"], /expected one of Hot, Cool, Cold/],
  ])("rejects %j with a UsageError", (args, message) => {
    let err: unknown;
    try {
      storageOpenOptions(parse(args));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });

  it("reads retain-for durations in hours, days and years", () => {
    expect(parseRetainFor("12h")).toBe(12 * 3_600_000);
    expect(parseRetainFor("1y")).toBe(365 * DAY);
    expect(() => parseRetainFor("0d")).toThrow(UsageError);
  });
});
