import type { AgeIdentity } from "../crypto/age-keys.js";
import { transferable } from "../workers/transfer.js";
import { WorkerPool } from "../workers/worker-pool.js";
import type { PackCheckResult, PackVerifyWorkerData } from "./pack-verify-worker.js";

/**
 * Verifies packs on worker threads, one per core: decrypting, decompressing
 * and hashing every blob is all CPU, so `check --read-data` scales with the
 * cores while the main thread fetches the next packs. A sound pack is also
 * hashed there (check's content-name test); a damaged one comes back as a
 * rejected promise with the verifier's IntegrityError.
 */
export class PackVerifierPool {
  private readonly pool: WorkerPool;

  constructor(
    count: number,
    idKey: Uint8Array,
    identities: { data: readonly AgeIdentity[]; meta: readonly AgeIdentity[] },
  ) {
    const workerData: PackVerifyWorkerData = {
      idKey,
      data: identities.data.map(String),
      meta: identities.meta.map(String),
    };
    this.pool = new WorkerPool("maintenance/pack-verify-worker", count, workerData);
  }

  /** The file moves to the worker when it owns its buffer (no copy); do not use it afterwards. */
  verify(kind: "data" | "meta", key: string, file: Uint8Array): Promise<PackCheckResult> {
    return this.pool.call<PackCheckResult>({ kind, key, file }, transferable(file));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
