import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { SourceError } from "../core/errors.js";
import { commandArgv, programName, showCommand, type CommandSpec } from "./command-spec.js";
import { installHint } from "./tool-packages.js";
import { processSecrets } from "./secret-mask.js";

/** Receives the command's stderr (and, for hooks, stdout) line by line. */
export type CommandLog = (line: string) => void;

/** Bytes of stderr kept for the error message: the tool's own words on why it failed. */
const STDERR_TAIL = 4096;
/** After SIGTERM on a timeout or abort, how long a command gets before SIGKILL. */
const KILL_GRACE_MS = 5000;

/**
 * A running command whose `exited` settles once it is gone: resolves on exit
 * code 0, rejects with a SourceError naming the command, its exit code or
 * signal (or timeout) and the end of its stderr otherwise.
 */
export class ChildCommand {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private tail = "";
  private partial = "";
  private timedOut = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly spec: CommandSpec,
    stdio: StdioOptions,
    private readonly log: CommandLog,
    signal?: AbortSignal,
  ) {
    const [file, ...args] = commandArgv(spec);
    this.child = spawn(file, args, { stdio, env: { ...process.env, ...spec.env }, cwd: spec.cwd });
    this.child.stderr?.on("data", (b: Buffer) => this.onStderr(b.toString("utf8")));
    if (spec.timeoutSeconds)
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.kill();
      }, spec.timeoutSeconds * 1000);
    const onAbort = () => this.kill();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.exited = this.wait().finally(() => {
      clearTimeout(this.timer);
      signal?.removeEventListener("abort", onAbort);
    });
    this.exited.catch(() => undefined); // observed by the caller; not unhandled when the caller failed first
  }

  /** The end of what the command wrote to stderr so far, secrets masked. */
  get stderrTail(): string {
    return processSecrets.mask(this.tail.trim());
  }

  /** SIGTERM now, SIGKILL if it is still there after the grace period. */
  kill(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    setTimeout(
      () => this.child.exitCode === null && this.child.signalCode === null && this.child.kill("SIGKILL"),
      KILL_GRACE_MS,
    ).unref();
  }

  private wait(): Promise<void> {
    const name = programName(this.spec);
    return new Promise((resolve, reject) => {
      this.child.on("error", (e: NodeJS.ErrnoException) => {
        const missing = e.code === "ENOENT";
        reject(
          new SourceError(
            name,
            missing
              ? `command not found (${showCommand(this.spec)})`
              : `cannot run ${showCommand(this.spec)}: ${e.message}`,
            { hint: missing ? installHint(name) : undefined, cause: e },
          ),
        );
      });
      this.child.on("close", (code, sig) => {
        this.flushLine();
        if (code === 0 && !this.timedOut) return resolve();
        const why = this.timedOut
          ? `timed out after ${this.spec.timeoutSeconds} s`
          : sig
            ? `was killed by ${sig}`
            : `exited with code ${code}`;
        // The tool's words end up in errors, notifications and the state file: masked like its log lines.
        const said = processSecrets.mask(this.tail.trim());
        reject(
          new SourceError(name, `${why}${said ? `: ${said}` : ""}`, {
            hint: `the command was: ${showCommand(this.spec)}; no snapshot was recorded`,
          }),
        );
      });
    });
  }

  private onStderr(text: string): void {
    this.tail = (this.tail + text).slice(-STDERR_TAIL);
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const l of lines) this.log(processSecrets.mask(l));
  }

  private flushLine(): void {
    if (this.partial) this.log(processSecrets.mask(this.partial));
    this.partial = "";
  }
}
