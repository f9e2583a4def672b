import { afterAll, beforeAll, expect, it } from "vitest";
import { S3Storage } from "../../src/storage/s3/s3-storage.js";
import { S3_TEST_BUCKET, S3RVER_CREDENTIALS, startS3rver, type Emulator } from "../helpers/emulators.js";
import { CONTRACT_LARGE_OBJECT, runStorageContract } from "./storage-contract.js";

const MiB = 1024 * 1024;
let s3: Emulator;
let n = 0;

beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.stop());

// The minimum S3 part size, so the contract's large object goes multipart.
const PART_SIZE = 5 * MiB;
it("uploads the contract's large object as multipart", () => {
  expect(CONTRACT_LARGE_OBJECT).toBeGreaterThan(PART_SIZE);
});

// Each test gets its own prefix in one bucket: a fresh, empty repository.
// s3rver ignores If-None-Match on PUT, so conditional create is emulated here
// (head + put) and the request itself is checked in test/storage/s3/s3-storage.test.ts.
runStorageContract("s3 (s3rver)", async () => ({
  storage: new S3Storage(
    { bucket: S3_TEST_BUCKET, prefix: `contract/t${++n}` },
    {
      endpoint: s3.endpoint,
      region: "us-east-1",
      credentials: S3RVER_CREDENTIALS,
      partSize: PART_SIZE,
      conditionalCreate: false,
    },
  ),
  cleanup: async () => {},
}));
