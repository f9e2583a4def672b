/**
 * SIGINT/SIGTERM abort the current operation through its AbortSignal, so it
 * stops between objects and never commits a half snapshot. A second signal
 * exits at once (nothing half-written is visible: objects are atomic).
 */
export function onInterrupt(abort: AbortController): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(130);
    process.stderr.write(`\n${sig}: stopping; no snapshot will be recorded for this run\n`);
    abort.abort(new Error(`interrupted by ${sig}`));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
