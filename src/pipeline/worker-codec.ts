import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { IntegrityError, CairnError } from "../errors.js";
import type { AgeRecipient } from "../crypto/age-keys.js";
import type { CompressedBlob, PackCodec, SealedPack } from "../repository/pack-codec.js";
import type { CodecRequest, CodecResponse } from "./codec-messages.js";

type Pending = { resolve(r: CodecResponse & { ok: true }): void; reject(e: unknown): void };

/**
 * PackCodec on worker threads, so compression and encryption use the cores
 * the main thread (walk, chunk, hash) leaves free. Jobs go to the worker with
 * the fewest outstanding jobs. Raw blobs are copied to the worker; results are
 * transferred back without a copy.
 */
export class WorkerCodec implements PackCodec {
  private readonly workers: { w: Worker; pending: Map<number, Pending> }[] = [];
  private seq = 0;

  constructor(count = Math.max(1, availableParallelism())) {
    const { url, execArgv } = workerEntry();
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { execArgv });
      const slot = { w, pending: new Map<number, Pending>() };
      w.on("message", (m: CodecResponse) => this.settle(slot.pending, m));
      w.on("error", (e) => this.failAll(slot.pending, e));
      this.workers.push(slot);
    }
  }

  async compress(raw: Uint8Array, level: number, what: string): Promise<CompressedBlob> {
    const r = await this.call({ seq: 0, op: "compress", raw, level, what });
    if (!("compressed" in r)) throw new CairnError("E_INTERNAL", "codec worker answered a compress with a seal");
    return r.compressed ? { bytes: r.bytes, compressed: true } : { bytes: raw, compressed: false };
  }

  async seal(parts: readonly Uint8Array[], recipients: readonly AgeRecipient[], what: string): Promise<SealedPack> {
    const r = await this.call({ seq: 0, op: "seal", parts: [...parts], recipients: recipients.map(String), what });
    if (!("file" in r)) throw new CairnError("E_INTERNAL", "codec worker answered a seal with a compress");
    return { file: Buffer.from(r.file.buffer, r.file.byteOffset, r.file.byteLength), headerLength: r.headerLength, id: r.id };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((s) => s.w.terminate()));
  }

  private call(req: CodecRequest): Promise<CodecResponse & { ok: true }> {
    const slot = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.w.postMessage({ ...req, seq });
    });
  }

  private settle(pending: Map<number, Pending>, m: CodecResponse): void {
    const p = pending.get(m.seq);
    if (!p) return;
    pending.delete(m.seq);
    if (m.ok) p.resolve(m);
    else p.reject(m.kind ? new IntegrityError(m.kind, m.objectKey ?? "", m.message.replace(`${m.kind} ${m.objectKey}: `, "")) : new CairnError("E_CODEC", m.message));
  }

  private failAll(pending: Map<number, Pending>, e: unknown): void {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  }
}

/** The compiled worker next to this module; under a TypeScript test runner, the .ts source through tsx. */
function workerEntry(): { url: URL; execArgv: string[] } {
  const js = new URL("./codec-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js, execArgv: [] };
  return { url: new URL("./codec-worker.ts", import.meta.url), execArgv: ["--import", "tsx"] };
}
