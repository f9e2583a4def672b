import { chmodSync, lchownSync, lutimesSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { describeError } from "./shared/describe-error.js";
import type { Entry } from "./shared/entry.js";
import type { RestoreOutcome } from "./restore-outcome.js";

/**
 * Applies owner, mode and mtime. Order matters: chown clears setuid/setgid,
 * so it comes before chmod. Failures are warnings: the data is restored.
 * Never follows symlinks: lchown/lutimes act on the entry itself, and chmod
 * only runs on directories and fifos this restore created.
 */
export class MetadataWriter {
  constructor(
    /** Restore uid/gid and setuid/setgid bits. */
    private readonly ownership: boolean,
    private readonly warnings: Pick<RestoreOutcome, "warn">,
  ) {}

  /** By path, for directories, symlinks and fifos. */
  async applyToPath(e: Entry): Promise<void> {
    // Synchronous: three thread-pool round trips cost several times the system calls themselves,
    // and a restore does this for every directory (measured in docs/PERFORMANCE.md).
    await this.attempt(e, async () => {
      if (this.ownership) lchownSync(e.path, e.node.uid, e.node.gid);
      if (e.node.type !== "symlink") chmodSync(e.path, this.permissionBits(e));
      const t = mtimeSeconds(e.node.mtimeNs);
      lutimesSync(e.path, t, t);
    });
  }

  /** The same through an open descriptor (fchown, fchmod, futimes), for regular files. */
  async applyToHandle(fh: FileHandle, e: Entry): Promise<void> {
    await this.attempt(e, async () => {
      if (this.ownership) await fh.chown(e.node.uid, e.node.gid);
      await fh.chmod(this.permissionBits(e));
      const t = mtimeSeconds(e.node.mtimeNs);
      await fh.utimes(t, t);
    });
  }

  /** setuid/setgid only make sense (and are only safe) when the owner is restored too. */
  permissionBits(e: Entry): number {
    return e.node.mode & (this.ownership ? 0o7777 : 0o1777);
  }

  /** The owner to set, or undefined when ownership is not restored. */
  owner(e: Entry): { uid: number; gid: number } | undefined {
    return this.ownership ? { uid: e.node.uid, gid: e.node.gid } : undefined;
  }

  private async attempt(e: Entry, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.warnings.warn(e.display, `metadata not restored: ${describeError(err)}`);
    }
  }
}

/**
 * Node takes times as seconds and libuv truncates them toward zero to
 * microseconds, so nanoseconds cannot be restored from JavaScript; the stored
 * time is restored floored to the microsecond. Half a microsecond away from
 * zero makes the truncation land on that microsecond despite float rounding
 * (a double near 2^31 s resolves about 0.24 µs). Returned as a decimal string:
 * Node replaces a negative *number* by the current time, so a number could
 * not restore an mtime before 1970; a numeric string reaches libuv unchanged.
 */
export function mtimeSeconds(mtimeNs: string): string {
  const ns = BigInt(mtimeNs);
  // Floor division: the microsecond at or below the stored time, also before 1970.
  const micros = ns / 1000n - (ns % 1000n < 0n ? 1n : 0n);
  const seconds = micros / 1_000_000n;
  const rest = Number(micros % 1_000_000n);
  return String(Number(seconds) + (rest + (micros < 0n ? -0.5 : 0.5)) / 1e6);
}
