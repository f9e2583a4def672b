import { spawn } from "node:child_process";
import { processSecrets } from "../exec/secret-mask.js";
import type { Logger } from "./logger.js";

export interface HookRun {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
}

const MAX_OUTPUT = 64 * 1024;

/**
 * Run a hook with /bin/sh -c, its output logged (stdout and stderr, capped,
 * every known secret masked: exec/secret-mask.ts),
 * killed after `timeoutMs` or when `signal` aborts (the agent is stopping:
 * a hook must not hold the shutdown past the runtime's stop timeout, nor
 * outlive the agent in its own process group). Never throws: the caller
 * decides what a failure means (a failing `before` fails the run;
 * `after`/`on_failure` only log).
 */
export function runHook(
  name: string,
  command: string,
  o: {
    timeoutMs: number;
    env: Record<string, string>;
    jobEnv: Record<string, string>;
    log: Logger;
    signal?: AbortSignal;
  },
): Promise<HookRun> {
  return new Promise((done) => {
    const child = spawn("/bin/sh", ["-c", command], {
      env: { ...process.env, ...o.env, ...o.jobEnv },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const collect = (b: Buffer) => {
      if (output.length < MAX_OUTPUT) output += b.toString("utf8");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    let timedOut = false;
    // The hook's whole process group: a shell pipeline must not outlive its timeout.
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone (exited between the timer firing and the kill).
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    if (o.signal?.aborted) killGroup();
    else o.signal?.addEventListener("abort", killGroup, { once: true });
    const finish = (exitCode: number | null, error?: string) => {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", killGroup);
      const ok = exitCode === 0 && !timedOut;
      const fields = {
        event: "hook_run",
        hook: name,
        exit_code: exitCode,
        timed_out: timedOut,
        // A hook sees hooks.env and the agent's environment; whatever it echoes of them is masked.
        output: processSecrets.mask(output.slice(0, MAX_OUTPUT).trimEnd()),
        error,
      };
      if (ok) o.log.info(fields, `hook ${name} succeeded`);
      else
        o.log.warn(
          fields,
          `hook ${name} failed${timedOut ? ` (timed out after ${o.timeoutMs / 1000} s)` : o.signal?.aborted ? " (killed: the run was aborted)" : ""}`,
        );
      done({ ok, exitCode, timedOut });
    };
    child.on("error", (e) => finish(null, e.message));
    child.on("close", (code) => finish(code));
  });
}
