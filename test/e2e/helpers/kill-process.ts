/**
 * A process killer for crash tests (it kills on a state read from the process, docs/RELIABILITY.md): it kills
 * the CLI after a delay, or at a state read from its `--json` progress lines,
 * or at a state of the repository on disk ("after the first index file").
 */
import { spawn } from "node:child_process";
import { CLI, jsonLines } from "./kill-harness.js";

export type KillTrigger =
  | { kind: "delay"; ms: number; label: string }
  /** Kill once a `--json` line satisfies `when` (lines are parsed as they arrive). */
  | { kind: "progress"; when: (line: Record<string, unknown>) => boolean; label: string; afterMs?: number }
  /** Kill once `when()` is true; polled every 10 ms. */
  | { kind: "poll"; when: () => boolean; label: string };

export interface KillResult {
  /** True when the signal was sent before the process exited on its own. */
  killed: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start to the signal (undefined when not sent). */
  killedAtMs?: number;
  /** Milliseconds from the signal to the exit. */
  exitAfterKillMs?: number;
  lines: Record<string, unknown>[];
}

/** Run `cairn <args>` and send `sig` when `trigger` fires. */
export function runAndKill(
  args: readonly string[],
  trigger: KillTrigger,
  sig: NodeJS.Signals = "SIGKILL",
  timeoutMs = 60_000,
): Promise<KillResult> {
  return new Promise((res, rej) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let pending = "";
    let killedAt: number | undefined;
    let exited = false;
    let matched = false;
    const timers: NodeJS.Timeout[] = [];
    const fire = () => {
      if (killedAt !== undefined || exited) return;
      killedAt = Date.now();
      child.kill(sig);
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (trigger.kind !== "progress") return;
      pending += d;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const l of jsonLines(parts.join("\n"))) {
        if (matched || !trigger.when(l)) continue;
        matched = true;
        if (trigger.afterMs) timers.push(setTimeout(fire, trigger.afterMs));
        else fire();
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    if (trigger.kind === "delay") timers.push(setTimeout(fire, trigger.ms));
    if (trigger.kind === "poll") {
      const poll = setInterval(() => {
        try {
          if (trigger.when()) fire();
        } catch {
          // the repository is mid-write; look again
        }
      }, 10);
      timers.push(poll);
    }
    const hard = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", rej);
    child.on("exit", () => (exited = true));
    child.on("close", (code, signal) => {
      exited = true;
      for (const t of timers) clearTimeout(t);
      clearTimeout(hard);
      const now = Date.now();
      res({
        killed: killedAt !== undefined,
        code,
        signal,
        stdout,
        stderr,
        killedAtMs: killedAt === undefined ? undefined : killedAt - started,
        exitAfterKillMs: killedAt === undefined ? undefined : now - killedAt,
        lines: jsonLines(stdout),
      });
    });
  });
}
