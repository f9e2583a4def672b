import type { BackupCounters } from "../../pipeline/progress.js";
import { humanBytes } from "./print.js";

/**
 * Progress on a terminal: one line redrawn in place (files, bytes, rate, ETA
 * when the total is known). Off a terminal, or with --json, JSON lines.
 */
export class ProgressDisplay {
  private readonly started = Date.now();
  private lastLen = 0;

  constructor(
    private readonly json: boolean,
    private readonly tty = process.stderr.isTTY === true,
    private totalBytes?: number,
  ) {}

  /** Only the terminal display shows an ETA, so only it needs the total size. */
  get wantsTotal(): boolean {
    return this.tty && !this.json;
  }

  setTotal(bytes: number): void {
    this.totalBytes = bytes;
  }

  update(c: Readonly<BackupCounters> & { bytesUploaded: number }): void {
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? c.bytesRead / secs : 0;
    if (this.json) {
      process.stdout.write(
        JSON.stringify({ type: "progress", elapsedSeconds: secs, ...c, bytesPerSecond: Math.round(rate) }) + "\n",
      );
      return;
    }
    if (!this.tty) return;
    const files = c.filesNew + c.filesChanged + c.filesUnchanged;
    // Covered so far: whole files done (read or reused), or the bytes read when one big file is in progress.
    const done = Math.max(c.bytesTotal, c.bytesRead);
    let eta = "";
    if (this.totalBytes && secs > 1 && done > 0 && this.totalBytes > done) {
      const pct = Math.floor((100 * done) / this.totalBytes);
      eta = ` ${pct}% ETA ${formatSeconds(((this.totalBytes - done) * secs) / done)}`;
    }
    const line = `${files} files, ${humanBytes(c.bytesRead)} read, ${humanBytes(c.bytesUploaded)} uploaded, ${humanBytes(rate)}/s${eta}`;
    process.stderr.write(`\r${line.padEnd(this.lastLen)}`);
    this.lastLen = line.length;
  }

  done(): void {
    if (this.tty && !this.json && this.lastLen > 0) process.stderr.write("\n");
  }
}

function formatSeconds(s: number): string {
  const t = Math.ceil(s);
  return t < 60
    ? `${t}s`
    : t < 3600
      ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`
      : `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}
