import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import { SourceError } from "../../core/errors.js";
import { ChildCommand, type CommandLog } from "../../exec/child-command.js";
import { pgArgs, pgEnv, type PgConnection } from "./pg-connection.js";

/**
 * One open psql session, fed queries on stdin: pg_backup_start() and
 * pg_backup_stop() must run in the same session (non-exclusive backup), and
 * the temporary replication slot that holds the WAL lives as long as it does.
 * Results come back unaligned, tuples only; each query is followed by an
 * \echo of a random marker that says where its output ends.
 */
export class PsqlSession {
  private readonly cmd: ChildCommand;
  private readonly marker = `__cairn_${randomBytes(8).toString("hex")}__`;
  private out = "";
  private pending?: { resolve(s: string): void; reject(e: unknown): void };
  private ended?: { reason: unknown };

  constructor(c: PgConnection, database: string, log: CommandLog) {
    const command = [
      "psql",
      "--no-psqlrc",
      "--quiet",
      "--no-align",
      "--tuples-only",
      "--set",
      "ON_ERROR_STOP=1",
      ...pgArgs(c),
      "--dbname",
      database,
    ];
    this.cmd = new ChildCommand({ command, env: pgEnv(c) }, ["pipe", "pipe", "pipe"], log);
    this.cmd.child.stdout?.on("data", (b: Buffer) => this.onData(b.toString("utf8")));
    // Remember how the session ended: a query sent after psql is gone (the server
    // restarted during a long copy) must fail at once, not wait for an answer.
    this.cmd.exited.then(
      () => this.end(new SourceError("psql", "session ended before the query finished")),
      (e: unknown) => this.end(e),
    );
    // Writing to a psql that has exited raises EPIPE here; `exited` carries the reason.
    this.cmd.child.stdin?.on("error", () => undefined);
  }

  private end(reason: unknown): void {
    this.ended = { reason };
    this.pending?.reject(reason);
  }

  /** Run one statement; resolves with its output (rows, one a line). */
  query(sql: string): Promise<string> {
    if (this.pending) throw new Error("PsqlSession: one query at a time");
    if (this.ended) return Promise.reject(this.ended.reason);
    const p = new Promise<string>((resolve, reject) => (this.pending = { resolve, reject }));
    (this.cmd.child.stdin as Writable).write(`${sql.trim().replace(/;?$/, ";")}\n\\echo ${this.marker}\n`);
    return p.finally(() => (this.pending = undefined));
  }

  /** End the session (dropping its temporary slot) and wait for psql to exit. */
  async close(): Promise<void> {
    (this.cmd.child.stdin as Writable).end();
    await this.cmd.exited;
  }

  /** Kill it (when the backup failed): the server aborts the backup and drops the slot. */
  abort(): void {
    (this.cmd.child.stdin as Writable).destroy();
    this.cmd.kill();
  }

  private onData(text: string): void {
    this.out += text;
    const at = this.out.indexOf(`${this.marker}\n`);
    if (at < 0) return;
    const result = this.out.slice(0, at);
    this.out = this.out.slice(at + this.marker.length + 1);
    this.pending?.resolve(result);
  }
}
