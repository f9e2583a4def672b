/**
 * Worker-thread entry for ReadAhead (read-ahead.ts): reads small files the
 * codec workers are about to read, several at once through libuv's thread
 * pool, so their pages are cached by the time a codec worker reads them
 * synchronously. Reads that fail are ignored: the codec worker reports them.
 */
import { close, open, read } from "node:fs";
import { parentPort } from "node:worker_threads";
import { OPEN_REGULAR } from "./open-regular.js";
import type { ReadAheadHint } from "./read-ahead.js";

/** Reads in flight: libuv's pool has four threads, and the codec workers read too. */
const CONCURRENCY = 4;
/** Files queued at most; older ones are dropped, as the codec workers will have read them by then. */
const MAX_QUEUED = 4096;

let queue: ReadAheadHint[] = [];
let head = 0;
const idle: Buffer[] = Array.from({ length: CONCURRENCY }, () => Buffer.allocUnsafe(64 * 1024));

let stopping = false;

function pump(): void {
  while (idle.length > 0 && head < queue.length) warm(queue[head++]!, idle.pop()!);
  if (head === queue.length) {
    queue = [];
    head = 0;
  }
  // Every read closed its file: the thread can be terminated without leaking descriptors.
  if (stopping && idle.length === CONCURRENCY) parentPort!.postMessage("stopped");
}

function warm(hint: ReadAheadHint, buf: Buffer): void {
  const done = (b: Buffer): void => {
    idle.push(b);
    pump();
  };
  const path = Buffer.from(hint.path.buffer, hint.path.byteOffset, hint.path.byteLength);
  open(path, OPEN_REGULAR, (err, fd) => {
    if (err) return done(buf);
    // A buffer grown for a larger file is kept for the next.
    const into = buf.length >= hint.size ? buf : Buffer.allocUnsafe(hint.size);
    read(fd, into, 0, Math.max(1, hint.size), 0, () => close(fd, () => done(into)));
  });
}

parentPort?.on("message", (m: ReadAheadHint[] | "stop") => {
  if (m === "stop") {
    stopping = true;
    queue = [];
    head = 0;
    return pump();
  }
  queue.push(...m);
  if (queue.length - head > MAX_QUEUED) head = queue.length - MAX_QUEUED;
  pump();
});
