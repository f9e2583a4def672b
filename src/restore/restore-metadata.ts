import { lchown, lutimes, chmod, type FileHandle } from "node:fs/promises";
import { warn, describeError, type Entry, type RestoreContext } from "./restore-context.js";

/**
 * Applies owner, mode and mtime. Order matters: chown clears setuid/setgid,
 * so it comes before chmod. Failures are warnings: the data is restored.
 * Never follows symlinks: lchown/lutimes act on the entry itself, and chmod
 * only runs on directories and fifos this restore created.
 */
export async function applyPathMetadata(ctx: RestoreContext, e: Entry): Promise<void> {
  await attempt(ctx, e, async () => {
    if (ctx.ownership) await lchown(e.path, e.node.uid, e.node.gid);
    if (e.node.type !== "symlink") await chmod(e.path, permissionBits(ctx, e));
    const t = mtimeSeconds(e.node.mtimeNs);
    await lutimes(e.path, t, t);
  });
}

/** The same through an open descriptor (fchown, fchmod, futimes), for regular files. */
export async function applyHandleMetadata(ctx: RestoreContext, fh: FileHandle, e: Entry): Promise<void> {
  await attempt(ctx, e, async () => {
    if (ctx.ownership) await fh.chown(e.node.uid, e.node.gid);
    await fh.chmod(permissionBits(ctx, e));
    const t = mtimeSeconds(e.node.mtimeNs);
    await fh.utimes(t, t);
  });
}

/** setuid/setgid only make sense (and are only safe) when the owner is restored too. */
function permissionBits(ctx: RestoreContext, e: Entry): number {
  return e.node.mode & (ctx.ownership ? 0o7777 : 0o1777);
}

/**
 * Node takes times as float seconds and libuv truncates them to microseconds,
 * so nanoseconds cannot be restored from JavaScript. Adding half a microsecond
 * makes the truncation land on the stored microsecond despite float rounding
 * (a double near 2^31 s resolves about 0.24 µs).
 */
export function mtimeSeconds(mtimeNs: string): number {
  const ns = BigInt(mtimeNs);
  if (ns < 0n) return Number(ns) / 1e9;
  const micros = (ns % 1_000_000_000n) / 1000n;
  return Number(ns / 1_000_000_000n) + (Number(micros) + 0.5) / 1e6;
}

async function attempt(ctx: RestoreContext, e: Entry, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    warn(ctx, e.display, `metadata not restored: ${describeError(err)}`);
  }
}
