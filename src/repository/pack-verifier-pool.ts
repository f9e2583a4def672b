import { Worker } from "node:worker_threads";
import { CairnError } from "../errors.js";
import type { AgeIdentity } from "../crypto/age-keys.js";
import { workerEntry } from "../workers/worker-entry.js";
import type { PackVerifyResult } from "./pack-verify.js";
import type { PackVerifyRequest, PackVerifyResponse, PackVerifyWorkerData } from "./pack-verify-worker.js";

type Pending = { resolve(r: PackVerifyResult): void; reject(e: unknown): void };
type Slot = { w: Worker; pending: Map<number, Pending> };

/**
 * Verifies packs on worker threads, one per core: decrypting, decompressing
 * and hashing every blob is all CPU, so `check --read-data` scales with the
 * cores while the main thread fetches the next packs. A pack's failure comes
 * back as a rejected promise with the verifier's message.
 */
export class PackVerifierPool {
  private readonly slots: Slot[] = [];
  private seq = 0;

  constructor(count: number, idKey: Uint8Array, identities: { data: readonly AgeIdentity[]; meta: readonly AgeIdentity[] }) {
    const { url, execArgv } = workerEntry("repository/pack-verify-worker");
    const workerData: PackVerifyWorkerData = { idKey, data: identities.data.map(String), meta: identities.meta.map(String) };
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { execArgv, workerData });
      const slot: Slot = { w, pending: new Map() };
      w.on("message", (m: PackVerifyResponse) => {
        const p = slot.pending.get(m.seq);
        slot.pending.delete(m.seq);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new CairnError("E_INTEGRITY", m.message));
      });
      w.on("error", (e) => {
        for (const p of slot.pending.values()) p.reject(e);
        slot.pending.clear();
      });
      this.slots.push(slot);
    }
  }

  /** The file moves to the worker when it owns its buffer (no copy); do not use it afterwards. */
  verify(kind: "data" | "meta", key: string, file: Uint8Array): Promise<PackVerifyResult> {
    const slot = this.slots.reduce((a, s) => (s.pending.size < a.pending.size ? s : a));
    const seq = ++this.seq;
    const whole = file.byteOffset === 0 && file.byteLength === file.buffer.byteLength;
    const body = whole ? file : new Uint8Array(file);
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.w.postMessage({ seq, kind, key, file: body } satisfies PackVerifyRequest, [body.buffer as ArrayBuffer]);
    });
  }

  /** Jobs still queued on the least busy worker. */
  get busiest(): number {
    return Math.max(...this.slots.map((s) => s.pending.size));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.w.terminate()));
  }
}
