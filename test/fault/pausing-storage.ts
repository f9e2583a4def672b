import type { ByteRange, ObjectInfo, PutBody, PutOptions } from "../../src/storage/storage.js";
import { StorageDecorator } from "../../src/storage/storage-decorator.js";

export type PausedOp = "put" | "putIfAbsent" | "get" | "head" | "list" | "delete";

/** One armed pause: `reached` settles when the matching call arrives; that call waits until `release()`. */
export interface Pause {
  readonly reached: Promise<void>;
  release(): void;
}

interface Trap {
  matches(op: PausedOp, key: string): boolean;
  arrived(): void;
  gate: Promise<void>;
}

/**
 * Stops the party using it at a chosen storage call until the test lets it
 * go on, so a race between a backup and a prune (two hosts sharing a store)
 * replays the same interleaving every run: arm a pause, start the party, await
 * `reached`, run the other party to completion on the inner storage, then
 * `release()`. A paused `list` starts listing only after the release.
 */
export class PausingStorage extends StorageDecorator {
  private readonly traps: Trap[] = [];
  /** Every call, in order: lets a test sweep a pause over each call of a run. */
  calls = 0;

  /** Pause the first call (after this one) for which `matches` holds, before it reaches the store. */
  pauseAt(matches: (op: PausedOp, key: string, call: number) => boolean): Pause {
    let arrived!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((res) => (arrived = res));
    const gate = new Promise<void>((res) => (release = res));
    this.traps.push({ matches: (op, key) => matches(op, key, this.calls), arrived, gate });
    return { reached, release };
  }

  /** Pause the next call of `op` on a key starting with `prefix`. */
  pauseBefore(op: PausedOp, prefix: string): Pause {
    return this.pauseAt((o, key) => o === op && key.startsWith(prefix));
  }

  private async enter(op: PausedOp, key: string): Promise<void> {
    this.calls++;
    const i = this.traps.findIndex((t) => t.matches(op, key));
    if (i < 0) return;
    const [trap] = this.traps.splice(i, 1);
    trap.arrived();
    await trap.gate;
  }

  override async put(key: string, body: PutBody, opts?: PutOptions): Promise<void> {
    await this.enter("put", key);
    return this.inner.put(key, body, opts);
  }

  override async putIfAbsent(key: string, body: PutBody, opts?: PutOptions): Promise<boolean> {
    await this.enter("putIfAbsent", key);
    return this.inner.putIfAbsent(key, body, opts);
  }

  override async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    await this.enter("get", key);
    return this.inner.get(key, range, signal);
  }

  override async head(key: string): Promise<ObjectInfo | undefined> {
    await this.enter("head", key);
    return this.inner.head(key);
  }

  override async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    await this.enter("list", prefix);
    yield* this.inner.list(prefix, signal);
  }

  override async delete(key: string): Promise<void> {
    await this.enter("delete", key);
    return this.inner.delete(key);
  }
}
