import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { link, mkdir, rmdir, unlink } from "node:fs/promises";
import { promisify } from "node:util";
import type { Entry } from "./shared/entry.js";
import type { MetadataWriter } from "./metadata-writer.js";
import type { RestoreOutcome } from "./restore-outcome.js";

const run = promisify(execFile);
const SLASH = Buffer.from("/");

/**
 * Restores fifos, and warns about and skips sockets and devices (a socket is
 * only meaningful while its server runs; device nodes are not restored by
 * design).
 *
 * Node has no mkfifo(), so the `mkfifo` command makes it. Command arguments
 * must be strings and names may not be UTF-8, so the fifo is made under a
 * plain name in a scratch directory inside the target and then hard-linked
 * into place: link() fails on an existing entry, so nothing is overwritten.
 * The scratch directory is made on the first fifo and removed by `close`.
 */
export class SpecialFiles {
  private scratch?: Buffer;

  constructor(
    private readonly target: Buffer,
    private readonly metadata: Pick<MetadataWriter, "applyToPath">,
    private readonly warnings: Pick<RestoreOutcome, "warn">,
  ) {}

  async restore(e: Entry): Promise<void> {
    if (e.node.type !== "fifo") {
      this.warnings.warn(e.display, `${e.node.type} not restored (only files, directories, symlinks and fifos are)`);
      return;
    }
    const temp = Buffer.concat([await this.scratchDir(), SLASH, Buffer.from(randomBytes(8).toString("hex"))]);
    try {
      await run("mkfifo", ["-m", "600", temp.toString("utf8")]);
    } catch (err) {
      this.warnings.warn(e.display, `fifo not restored: mkfifo failed (${(err as Error).message.split("\n")[0]})`);
      return;
    }
    try {
      await link(temp, e.path);
    } finally {
      await unlink(temp);
    }
    await this.metadata.applyToPath(e);
  }

  /** Removes the scratch directory if this run made one. */
  async close(): Promise<void> {
    if (this.scratch !== undefined) await rmdir(this.scratch);
  }

  private async scratchDir(): Promise<Buffer> {
    if (this.scratch === undefined) {
      const dir = Buffer.concat([this.target, Buffer.from(`/.cairn-restore-${randomBytes(6).toString("hex")}`)]);
      await mkdir(dir, 0o700);
      this.scratch = dir;
    }
    return this.scratch;
  }
}
