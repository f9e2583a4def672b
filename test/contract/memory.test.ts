import { MemoryStorage } from "../fault/memory-storage.js";
import { runStorageContract } from "./storage-contract.js";

runStorageContract("memory", async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }));
