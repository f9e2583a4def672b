import { ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AzureStorage } from "../../src/storage/azure/azure-storage.js";
import { startAzurite, type AzuriteEmulator } from "../helpers/emulators.js";
import { CONTRACT_LARGE_OBJECT, runStorageContract } from "./storage-contract.js";

const MiB = 1024 * 1024;
const CONTAINER = "cairn-test";
let azurite: AzuriteEmulator;
let n = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  await new ContainerClient(azurite.connectionString, CONTAINER).create();
});
afterAll(() => azurite?.stop());

// Small blocks, so the contract's large object is staged as several blocks;
// S3's page size, so the contract's 1100 keys span several list pages.
const BLOCK_SIZE = 4 * MiB;
it("uploads the contract's large object as blocks", () => {
  expect(CONTRACT_LARGE_OBJECT).toBeGreaterThan(BLOCK_SIZE);
});

// Each test gets its own prefix in one container: a fresh, empty repository.
// azurite enforces If-None-Match: * (409), so the concurrent-create case runs for real.
runStorageContract("azure (azurite)", async () => ({
  storage: new AzureStorage(
    { bucket: CONTAINER, prefix: `contract/t${++n}` },
    { connectionString: azurite.connectionString, blockSize: BLOCK_SIZE, listPageSize: 1000 },
  ),
  cleanup: async () => {},
}));
