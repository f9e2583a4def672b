import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStorage } from "../../src/storage/local/local-storage.js";
import { runStorageContract } from "./storage-contract.js";

runStorageContract("local", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cairn-local-contract-"));
  return {
    storage: new LocalStorage(join(dir, "repo")),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
