import { createHash } from "node:crypto";
import { ContainerClient } from "@azure/storage-blob";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { StorageError, UsageError } from "../../../src/core/errors.js";
import { AzureStorage } from "../../../src/storage/azure/azure-storage.js";
import type { AzureOptions } from "../../../src/storage/azure/azure-options.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type AzuriteEmulator } from "../../helpers/emulators.js";
import { scriptedServer, type RecordedRequest, type Reply, type ScriptedServer } from "../../helpers/scripted-http.js";

const MiB = 1024 * 1024;
const NOW = new Date("2030-01-01T00:00:00Z");
const clock = { now: () => NOW, sleep: async () => {} };
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("base64");
const created: Reply = { status: 201, headers: { etag: '"0x1"', "last-modified": NOW.toUTCString() } };
const azureFailure = (status: number, code: string, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { "x-ms-error-code": code, "content-type": "application/xml", ...headers },
  body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code} (scripted)</Message></Error>`,
});

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function storage(opts: AzureOptions = {}, reply: (r: RecordedRequest) => Reply = () => created) {
  server = await scriptedServer(reply);
  const s = AzureStorage.fromUrl("azure://backups/app1", {
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpoint: `${server.endpoint}/${AZURITE_ACCOUNT}`,
    clock,
    ...opts,
  });
  return { s, requests: server.requests };
}

describe("AzureStorage requests", () => {
  it("puts a blob with its MD5, the tier (data keys only) and version-level immutability", async () => {
    const day = 86_400_000;
    const { s, requests } = await storage({
      tier: "Cool",
      tierPrefixes: ["data/"],
      immutability: { retainForMs: 7 * day },
    });
    expect(s.capabilities.objectLock).toBe(true);
    const body = Buffer.from("pack bytes");
    await s.put("data/ab/abcd", body);
    await s.put("snapshots/ef", body);
    const [data, snap] = requests;
    expect(data.method).toBe("PUT");
    expect(data.url.pathname).toBe(`/${AZURITE_ACCOUNT}/backups/app1/data/ab/abcd`);
    expect(data.headers["x-ms-blob-content-md5"]).toBe(md5(body));
    expect(data.headers["x-ms-access-tier"]).toBe("Cool");
    expect(snap.headers["x-ms-access-tier"]).toBeUndefined();
    for (const r of [data, snap]) {
      expect(new Date(r.headers["x-ms-immutability-policy-until-date"] as string).getTime()).toBe(
        NOW.getTime() + 7 * day,
      );
      expect(r.headers["x-ms-immutability-policy-mode"]).toBe("Unlocked");
    }
    expect(data.body.equals(body)).toBe(true);
  });

  it("stages large blobs as blocks with per-block MD5 and commits with the conditions", async () => {
    const { s, requests } = await storage({ blockSize: 4 * MiB, tier: "Cold" });
    await s.putIfAbsent("data/ab/big", Buffer.alloc(9 * MiB, 3));
    const blocks = requests.filter((r) => r.url.searchParams.get("comp") === "block");
    const commit = requests.find((r) => r.url.searchParams.get("comp") === "blocklist")!;
    expect(blocks.map((b) => b.body.length).sort((a, b) => b - a)).toEqual([4 * MiB, 4 * MiB, 1 * MiB]);
    for (const b of blocks) expect(b.headers["content-md5"]).toBe(md5(b.body));
    expect(commit.headers["if-none-match"]).toBe("*");
    expect(commit.headers["x-ms-access-tier"]).toBe("Cold");
    const ids = [...commit.body.toString().matchAll(/<Latest>([^<]+)<\/Latest>/g)].map((m) => m[1]);
    // Blocks are staged concurrently, so their requests may arrive in any order; the
    // commit must list every staged block once, in the order of their content (ids end in the index).
    expect(ids).toEqual(
      blocks
        .map((b) => b.url.searchParams.get("blockid")!)
        .sort((a, b) => Buffer.from(a, "base64").toString().localeCompare(Buffer.from(b, "base64").toString())),
    );
  });

  it("re-sends only a block that failed transiently", async () => {
    let failed = false;
    const { s, requests } = await storage({ blockSize: 4 * MiB }, (r) => {
      if (r.url.searchParams.get("comp") === "block" && !failed) {
        failed = true;
        return azureFailure(503, "ServerBusy");
      }
      return created;
    });
    await s.put("data/ab/big", Buffer.alloc(9 * MiB, 1));
    const blocks = requests.filter((r) => r.url.searchParams.get("comp") === "block");
    expect(blocks).toHaveLength(4); // 3 blocks + 1 re-send
    expect(new Set(blocks.map((b) => b.url.searchParams.get("blockid"))).size).toBe(3);
    expect(requests.filter((r) => r.url.searchParams.get("comp") === "blocklist")).toHaveLength(1);
  });

  it("sends If-None-Match: * for putIfAbsent and reads 409 as 'already there'", async () => {
    const { s, requests } = await storage({}, () => azureFailure(409, "BlobAlreadyExists"));
    expect(await s.putIfAbsent("config", Buffer.from("c"))).toBe(false);
    expect(requests[0].headers["if-none-match"]).toBe("*");
  });

  it("marks ServerBusy retryable with its Retry-After", async () => {
    const { s } = await storage({}, () => azureFailure(503, "ServerBusy", { "retry-after": "3" }));
    const err = (await s.put("data/x", Buffer.from("x")).catch((e: unknown) => e)) as StorageError;
    expect(err).toBeInstanceOf(StorageError);
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(3000);
  });

  it.each([
    [404, "ContainerNotFound", /container backups does not exist/],
    [403, "AuthorizationPermissionMismatch", /permission on container backups/],
    [403, "AuthenticationFailed", /rejected the credentials/],
  ])("fails fast on %i %s with a hint", async (status, code, hint) => {
    const { s } = await storage({}, () => azureFailure(status, code));
    const err = (await s.put("config", Buffer.from("x")).catch((e: unknown) => e)) as StorageError;
    expect(err.retryable).toBe(false);
    expect(err.hint).toMatch(hint);
    expect(err.message).toContain("azure://backups/app1 config");
  });

  it("refuses the Archive tier and an account-less configuration", () => {
    expect(() =>
      AzureStorage.fromUrl("azure://c-1/x", {
        tier: "Archive" as "Cool",
        connectionString: "UseDevelopmentStorage=true",
      }),
    ).toThrow(/rehydration/);
    const saved = { ...process.env };
    for (const k of ["AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_BLOB_ENDPOINT"])
      delete process.env[k];
    try {
      expect(() => AzureStorage.fromUrl("azure://c-1/x")).toThrow(UsageError);
    } finally {
      Object.assign(process.env, saved);
    }
  });
});

describe("AzureStorage against azurite: emulator gaps, stated", () => {
  let azurite: AzuriteEmulator;
  beforeAll(async () => {
    azurite = await startAzurite();
    await new ContainerClient(azurite.connectionString, "gaps").create();
  });
  afterAll(() => azurite?.stop());

  it("azurite ignores immutability on Put Blob (it answers 501 to the policy API), so only the request-shape test above covers it", async () => {
    const s = AzureStorage.fromUrl("azure://gaps/x", {
      connectionString: azurite.connectionString,
      immutability: { retainForMs: 3_600_000 },
    });
    await s.put("data/x", Buffer.from("x"));
    await s.delete("data/x"); // a real account with version-level immutability refuses this delete
    expect(await s.head("data/x")).toBeUndefined();
    const policy = await new ContainerClient(azurite.connectionString, "gaps")
      .getBlockBlobClient("x/other")
      .setImmutabilityPolicy({ expiriesOn: new Date(Date.now() + 60_000) })
      .catch((e: { statusCode?: number }) => e.statusCode);
    expect(policy).toBe(501);
  });
});
