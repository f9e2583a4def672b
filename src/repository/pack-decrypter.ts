import { ageDecrypt } from "../crypto/age-file.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { ownBuffer, transferable } from "../workers/transfer.js";
import { WorkerPool } from "../workers/worker-pool.js";

/**
 * Decrypts whole packs on one worker thread, so a restore's main thread keeps
 * reading trees and blobs while a 16 MiB pack is decrypted (the cipher, its
 * copies and the garbage of its output were a large part of a restore's main
 * thread: docs/PERFORMANCE.md §Figures behind choices in the code). Started on first use; idle, it never keeps the
 * process alive; if the worker cannot be started, packs are decrypted inline.
 */
export class PackDecrypter {
  private pool: WorkerPool | undefined;
  private inline = false;

  async decrypt(file: Uint8Array, identities: readonly AgeIdentity[], what: string): Promise<Buffer> {
    const pool = this.start();
    if (!pool) return ageDecrypt(file, identities, what);
    const body = ownBuffer(file);
    const plain = await pool.call<Uint8Array>(
      { file: body, identities: identities.map(String), what },
      transferable(body),
    );
    return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  private start(): WorkerPool | undefined {
    if (this.pool || this.inline) return this.pool;
    try {
      this.pool = new WorkerPool("repository/pack-decrypt-worker", 1, undefined, true);
    } catch {
      this.inline = true;
    }
    return this.pool;
  }
}
