/**
 * Debian's Prometheus and Pushgateway (apt-get install prometheus
 * prometheus-pushgateway; .ci/run does) as child processes of a test, on free
 * local ports, with their data in the test's directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort, until } from "./agent-process.js";

export interface Service {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startService(name: string, argv: (port: number) => string[]): Promise<Service> {
  const port = await freePort();
  const child = spawn(name, argv(port), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const failed = new Promise<never>((_, fail) => {
    child.once("error", (e) =>
      fail(new Error(`${name}: ${e.message} (apt-get install prometheus prometheus-pushgateway)`)),
    );
    child.once("exit", (code) => fail(new Error(`${name} exited ${code}: ${stderr}`)));
  });
  failed.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const ready = until(
    async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok,
    `${name} to be ready`,
    30_000,
  );
  await Promise.race([ready, failed]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
  };
  return { url, child, stop };
}

/** A Prometheus with `configFile`, its TSDB under `dir`. */
export function startPrometheus(configFile: string, dir: string): Promise<Service> {
  return startService("prometheus", (port) => [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, "tsdb")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ]);
}

/** A Pushgateway persisting (it never needs to) into `dir`, not into /var/lib. */
export function startPushgateway(dir: string): Promise<Service> {
  return startService("prometheus-pushgateway", (port) => [
    `--web.listen-address=127.0.0.1:${port}`,
    `--persistence.file=${join(dir, "pushgateway.data")}`,
    "--log.level=warn",
  ]);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (no escapes in label values: cairn's tests use plain names). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}
