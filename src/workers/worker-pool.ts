import { Worker, type MessagePort } from "node:worker_threads";
import { CairnError } from "../core/errors.js";
import { fromWireError, toWireError, type WireError } from "./wire-error.js";
import { workerEntry } from "./worker-entry.js";

/** What a pool's worker answers: the request's `seq`, then a result or a WireError. */
export type WorkerReply<R> = { seq: number; ok: true; result: R } | { seq: number; ok: false; error: WireError };

type Pending = { resolve(r: unknown): void; reject(e: unknown): void; weight: number };
type Slot = { w: Worker; pending: Map<number, Pending>; load: number };

/**
 * Worker threads running one entry module (`relative` to src/, see
 * workerEntry), each request sent to the least loaded one and answered by
 * `seq`. A worker's `error` fails what was queued on it, and every later
 * call. With `unrefWhenIdle` an idle pool never keeps the process alive.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private seq = 0;
  private failure: Error | undefined;

  constructor(
    relative: string,
    count: number,
    workerData: unknown,
    private readonly unrefWhenIdle = false,
  ) {
    const { url, execArgv } = workerEntry(relative);
    for (let i = 0; i < count; i++) {
      const w = new Worker(url, { execArgv, workerData });
      if (unrefWhenIdle) w.unref();
      const slot: Slot = { w, pending: new Map(), load: 0 };
      w.on("message", (m: WorkerReply<unknown>) => this.settle(slot, m));
      w.on("error", (e) => this.fail(e));
      w.on("exit", () => this.fail(new Error("worker thread exited")));
      this.slots.push(slot);
    }
  }

  /**
   * Send `message` (the pool adds `seq`); `transfer` moves buffers without a
   * copy. `weight` is how much work it is, for choosing the least loaded
   * worker (a batch of 32 files weighs 32); `worker` picks one instead.
   */
  call<R>(message: object, transfer: ArrayBuffer[] = [], weight = 1, worker = this.leastLoaded()): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.slots[worker]!;
    const seq = ++this.seq;
    return new Promise<R>((resolve, reject) => {
      slot.pending.set(seq, { resolve: resolve as (r: unknown) => void, reject, weight });
      slot.load += weight;
      if (this.unrefWhenIdle && slot.pending.size === 1) slot.w.ref(); // a queued job keeps the process alive
      slot.w.postMessage({ ...message, seq }, transfer);
    });
  }

  /** Index of the worker with the least work queued (what call() picks unless told). */
  leastLoaded(): number {
    let best = 0;
    for (let i = 1; i < this.slots.length; i++) if (this.slots[i]!.load < this.slots[best]!.load) best = i;
    return best;
  }

  async close(): Promise<void> {
    this.failure ??= new CairnError("E_WORKER", "worker pool is closed");
    await Promise.all(this.slots.map((s) => s.w.terminate()));
  }

  private settle(slot: Slot, m: WorkerReply<unknown>): void {
    const p = slot.pending.get(m.seq);
    if (!p) return;
    slot.pending.delete(m.seq);
    slot.load -= p.weight;
    if (this.unrefWhenIdle && slot.pending.size === 0) slot.w.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(fromWireError(m.error));
  }

  private fail(e: unknown): void {
    this.failure ??= new CairnError("E_WORKER", `a worker thread failed: ${(e as Error)?.message ?? e}`);
    for (const slot of this.slots) {
      for (const p of slot.pending.values()) p.reject(this.failure);
      slot.pending.clear();
      slot.load = 0;
    }
  }
}

/**
 * The worker side: answer each request with `handle`'s result (its buffers
 * in `transfer` move without a copy) or with the error it threw.
 */
export function serveRequests<Q extends { seq: number }, R>(
  port: MessagePort | null,
  handle: (req: Q) => { result: R; transfer?: ArrayBuffer[] },
): void {
  port?.on("message", (req: Q) => {
    let reply: WorkerReply<R>;
    let transfer: ArrayBuffer[] = [];
    try {
      const r = handle(req);
      reply = { seq: req.seq, ok: true, result: r.result };
      transfer = r.transfer ?? [];
    } catch (e) {
      reply = { seq: req.seq, ok: false, error: toWireError(e) };
    }
    port.postMessage(reply, transfer);
  });
}
