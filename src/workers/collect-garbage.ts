/**
 * Garbage collection for worker threads that pass large buffers through.
 * A worker's heap is tiny while the buffers it receives (cloned chunks,
 * packs) are large and external, so V8 lets dead buffers pile up per worker
 * before collecting. A full collection after every sealed pack and large-file
 * batch kept memory flat but cost seconds of CPU on a 1 GiB backup. The
 * buffers a request leaves behind are young, so a minor collection (a
 * scavenge) frees them for far less; a full one runs only if external memory
 * still grows (docs/PERFORMANCE.md).
 */
import v8 from "node:v8";
import vm from "node:vm";

const FULL_GC_AFTER_GROWTH = 64 * 1024 * 1024;
type Gc = (o?: { type: "minor" | "major" }) => void;
const gc: Gc | undefined = (() => {
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as Gc;
  } catch {
    return undefined;
  }
})();
let externalAfterFullGc = 0;

/** Call after a request whose buffers are dead once it is answered (each thread has its own counters). */
export function collectRequestGarbage(): void {
  if (!gc) return;
  gc({ type: "minor" });
  const external = v8.getHeapStatistics().external_memory;
  if (external < externalAfterFullGc) externalAfterFullGc = external;
  if (external - externalAfterFullGc < FULL_GC_AFTER_GROWTH) return;
  gc({ type: "major" });
  externalAfterFullGc = v8.getHeapStatistics().external_memory;
}
