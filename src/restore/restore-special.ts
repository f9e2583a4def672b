import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { link, mkdir, rmdir, unlink } from "node:fs/promises";
import { promisify } from "node:util";
import { applyPathMetadata } from "./restore-metadata.js";
import { warn, type Entry, type RestoreContext } from "./restore-context.js";

const run = promisify(execFile);
const SLASH = Buffer.from("/");

/**
 * Restores a fifo, or warns and skips sockets and devices (a socket is only
 * meaningful while its server runs; device nodes are not restored by design).
 *
 * Node has no mkfifo(), so the `mkfifo` command makes it. Command arguments
 * must be strings and names may not be UTF-8, so the fifo is made under a
 * plain name in a scratch directory inside the target and then hard-linked
 * into place: link() fails on an existing entry, so nothing is overwritten.
 */
export async function restoreSpecial(ctx: RestoreContext, e: Entry): Promise<void> {
  if (e.node.type !== "fifo") {
    warn(ctx, e.display, `${e.node.type} not restored (only files, directories, symlinks and fifos are)`);
    return;
  }
  const temp = Buffer.concat([await scratchDir(ctx), SLASH, Buffer.from(randomBytes(8).toString("hex"))]);
  try {
    await run("mkfifo", ["-m", "600", temp.toString("utf8")]);
  } catch (err) {
    warn(ctx, e.display, `fifo not restored: mkfifo failed (${(err as Error).message.split("\n")[0]})`);
    return;
  }
  try {
    await link(temp, e.path);
  } finally {
    await unlink(temp);
  }
  await applyPathMetadata(ctx, e);
}

/** Removes the scratch directory if this run made one. */
export async function removeScratch(ctx: RestoreContext): Promise<void> {
  if (ctx.scratch !== undefined) await rmdir(ctx.scratch);
}

async function scratchDir(ctx: RestoreContext): Promise<Buffer> {
  if (ctx.scratch === undefined) {
    const dir = Buffer.concat([ctx.target, Buffer.from(`/.cairn-restore-${randomBytes(6).toString("hex")}`)]);
    await mkdir(dir, 0o700);
    ctx.scratch = dir;
  }
  return ctx.scratch;
}
