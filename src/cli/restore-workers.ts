import { WorkerCodec } from "../pipeline/worker-codec.js";
import type { Repository } from "../repository/repository.js";

/**
 * Run a restore with whole packs decrypted, decompressed and verified on
 * worker threads, leaving the main thread to write files (docs/PERFORMANCE.md).
 */
export async function withRestoreWorkers<T>(repo: Repository, fn: () => Promise<T>): Promise<T> {
  const codec = new WorkerCodec(undefined, repo.agent.exportBlobIdKey());
  repo.useDecoder(codec);
  try {
    return await fn();
  } finally {
    repo.useDecoder(undefined);
    await codec.close();
  }
}
