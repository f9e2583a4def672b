/** The agent (`cairn agent`) as a child process for the e2e tests, with its JSON log lines and /metrics. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { assertBuilt, CLI } from "./run-cli.js";

export interface AgentProcess {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((ok) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

export function startAgent(config: string, env: Record<string, string>): AgentProcess {
  assertBuilt();
  const childEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("CAIRN_") && k !== "XDG_CACHE_HOME"),
  );
  const child = spawn(process.execPath, [CLI, "agent", "--config", config], {
    env: { ...childEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buf = "";
  child.stdout!.on("data", (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((ok) =>
    child.on("exit", (code) => {
      if (code !== 0 && code !== null && stderr) console.error(stderr); // null: killed by the test itself
      ok(code);
    }),
  );
  return { child, lines, exited };
}

/** Polls `probe` until it returns something other than undefined/false. */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of the first /metrics line matching `line` (its group 1), 0 when absent or the agent does not answer. */
export async function metric(port: number, line: RegExp): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => "",
  );
  const m = line.exec(text);
  return m ? Number(m[1]) : 0;
}
