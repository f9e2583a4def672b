import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/config-schema.js";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";
import { freePort, startAgent, until } from "../e2e/helpers/agent-process.js";
import { runCli } from "../e2e/helpers/run-cli.js";

/**
 * The deployment examples must fit together and fit cairn: each embedded
 * agent config passes `cairn config validate` (the real CLI), every `agent.*`
 * key the examples name exists, the ports the manifests wire up are the
 * config's listen port, and the probe and metrics paths they use are answered
 * by a real agent started with that very config (ready although its
 * repository cannot be reached: readiness never depends on storage). No
 * Docker engine or cluster runs here; this is what can be checked without one.
 * Run `npm run build` first (the agent and the CLI run from dist/).
 */
const examples = join(import.meta.dirname, "..", "..", "examples");
const read = (f: string) => parse(readFileSync(join(examples, f), "utf8")) as Record<string, unknown>;
type Obj = Record<string, unknown>;
const listenPort = (listen: string) => Number(listen.split(":").at(-1));
const scratch = mkdtempSync(join(tmpdir(), "cairn-examples-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Nothing the example configs point at exists here: their S3 endpoint goes to
 * a closed local port (never out of the machine), the credentials are dummies
 * and the instance-metadata lookup is off.
 */
async function offlineEnv(): Promise<Record<string, string>> {
  const closed = `http://127.0.0.1:${await freePort()}`;
  return {
    AWS_ENDPOINT_URL: closed,
    CAIRN_S3_ENDPOINT: closed,
    AWS_ACCESS_KEY_ID: "EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "EXAMPLE",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** Write a config text to a file and run `cairn config validate` on it. */
async function validate(name: string, text: string): Promise<void> {
  const file = join(scratch, name);
  writeFileSync(file, text);
  const r = await runCli(["config", "validate", "--config", file], { env: await offlineEnv() });
  expect(r.code, `${name}: ${r.stderr}`).toBe(0);
}

/** Start the real agent with an example config, its listen address moved to a free local port and its cache to scratch; GET each path. */
async function probe(name: string, text: string, paths: string[]): Promise<Record<string, number>> {
  const port = await freePort();
  const config = parse(text) as { agent: Obj };
  config.agent.listen = `127.0.0.1:${port}`;
  config.agent.cache_dir = join(scratch, `${name}-cache`);
  const file = join(scratch, `${name}-local.yaml`);
  writeFileSync(file, stringify(config));
  const agent = startAgent(file, await offlineEnv());
  try {
    await until(() => agent.lines.find((l) => l.event === "agent_started"), `the ${name} agent to start`);
    const status: Record<string, number> = {};
    for (const p of paths) status[p] = (await fetch(`http://127.0.0.1:${port}${p}`)).status;
    return status;
  } finally {
    agent.child.kill("SIGTERM");
    await agent.exited;
  }
}

describe("docker compose example", () => {
  const compose = read("docker-compose.yml") as {
    services: Record<string, Obj>;
    secrets: Record<string, { file: string }>;
  };
  const cairn = compose.services.cairn as {
    volumes: string[];
    secrets: string[];
    ports: string[];
    command: string[];
    environment: Record<string, string>;
  };
  const text = readFileSync(join(examples, "cairn.yaml"), "utf8");

  it("mounts a valid agent config where the image's default command reads it", async () => {
    expect(cairn.volumes).toContain("./cairn.yaml:/etc/cairn/cairn.yaml:ro");
    expect(cairn.command).toEqual(["agent", "--config", "/etc/cairn/cairn.yaml"]);
    await loadConfig(join(examples, "cairn.yaml"), {});
    await validate("compose.yaml", text);
  });

  it("backs up the app's volume read-only, with the agent key from a secret and the metrics port published", async () => {
    const config = await loadConfig(join(examples, "cairn.yaml"), {});
    const job = config.jobs["app-data"]!.config.source;
    const appMount = cairn.volumes.find((v) => v.startsWith("app-data:"))!;
    expect(appMount.endsWith(":ro")).toBe(true);
    expect(job?.type === "files" && job.paths).toEqual([appMount.split(":")[1]]);
    expect(cairn.secrets).toEqual(["cairn-agent-key"]);
    expect(config.repositories.primary!.agent_key_file).toBe("/run/secrets/cairn-agent-key");
    expect(cairn.ports.map((p) => Number(p.split(":")[1]))).toEqual([listenPort(config.agent.listen)]);
    expect(new URL(cairn.environment.CAIRN_HEALTHCHECK_URL).port).toBe(String(listenPort(config.agent.listen)));
  });

  it("the image's health check path is answered by an agent running this config, repository unreachable or not", async () => {
    const path = new URL(cairn.environment.CAIRN_HEALTHCHECK_URL).pathname;
    expect(await probe("compose", text, [path, "/readyz", "/metrics"])).toEqual({
      [path]: 200,
      "/readyz": 200,
      "/metrics": 200,
    });
  }, 60_000);
});

describe("kubernetes example", () => {
  const configMap = read("kubernetes/configmap.yaml") as { metadata: { name: string }; data: Record<string, string> };
  const deployment = read("kubernetes/deployment.yaml") as {
    spec: {
      template: {
        metadata: { annotations: Record<string, string> };
        spec: { securityContext: Obj; containers: Obj[]; volumes: Obj[] };
      };
    };
  };
  const pod = deployment.spec.template;
  const cairn = pod.spec.containers.find((c) => c.name === "cairn") as {
    args: string[];
    ports: { name: string; containerPort: number }[];
    volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    livenessProbe: { httpGet: { path: string; port: string } };
    readinessProbe: { httpGet: { path: string; port: string } };
  };
  const text = configMap.data["cairn.yaml"]!;
  const config = parseConfig(text, "configmap.yaml", {});
  const mountOf = (volume: string) => cairn.volumeMounts.find((m) => m.name === volume)!;

  it("embeds a valid agent config, mounted where the container's arguments read it", async () => {
    const configVolume = pod.spec.volumes.find(
      (v) => (v.configMap as Obj | undefined)?.name === configMap.metadata.name,
    )!;
    expect(`${mountOf(configVolume.name as string).mountPath}/cairn.yaml`).toBe(
      cairn.args[cairn.args.indexOf("--config") + 1],
    );
    await validate("configmap.yaml", text);
  });

  it("wires the probes and the scrape annotations to the agent's listen port", () => {
    for (const p of [cairn.livenessProbe, cairn.readinessProbe]) {
      const port = cairn.ports.find((c) => c.name === p.httpGet.port)!;
      expect(port.containerPort).toBe(listenPort(config.agent.listen));
    }
    expect(cairn.livenessProbe.httpGet.path).toBe("/healthz");
    expect(cairn.readinessProbe.httpGet.path).toBe("/readyz");
    expect(pod.metadata.annotations["prometheus.io/port"]).toBe(String(listenPort(config.agent.listen)));
    expect(pod.metadata.annotations["prometheus.io/path"]).toBe("/metrics");
  });

  it("its probe and scrape paths are answered 200 by an agent running this config, repository unreachable or not", async () => {
    const paths = [
      cairn.livenessProbe.httpGet.path,
      cairn.readinessProbe.httpGet.path,
      pod.metadata.annotations["prometheus.io/path"],
    ];
    expect(Object.values(await probe("kubernetes", text, paths))).toEqual([200, 200, 200]);
  }, 60_000);

  it("runs as non-root, reads the data read-only and the agent key from the mounted secret", () => {
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    const source = config.jobs["app-data"]!.config.source;
    const data = cairn.volumeMounts.find((m) => source?.type === "files" && source.paths.includes(m.mountPath))!;
    expect(data.readOnly).toBe(true);
    const keyFile = config.repositories.primary!.agent_key_file!;
    const secretVolume = pod.spec.volumes.find((v) => (v.secret as Obj | undefined)?.secretName === "cairn-secrets")!;
    expect(keyFile.startsWith(mountOf(secretVolume.name as string).mountPath + "/")).toBe(true);
  });

  it("the CronJob runs a job of that config with flags `cairn run` has", async () => {
    const cron = read("kubernetes/cronjob.yaml") as {
      spec: { jobTemplate: { spec: { template: { spec: { containers: { args: string[] }[] } } } } };
    };
    const args = cron.spec.jobTemplate.spec.template.spec.containers[0]!.args;
    expect(args.slice(0, 3)).toEqual(["run", "--config", cairn.args[cairn.args.indexOf("--config") + 1]]);
    expect(Object.keys(config.jobs)).toContain(args[3]);
    const help = (await runCli(["run", "--help"])).stdout;
    for (const flag of args.filter((a) => a.startsWith("--"))) expect(help).toContain(flag);
  });
});

describe("every example", () => {
  /** The keys `agent:` accepts, with `prune.` ones as `prune.KEY`. */
  const agentShape = (ConfigSchema.shape.agent as unknown as { unwrap(): { shape: Record<string, unknown> } }).unwrap()
    .shape;
  const pruneShape = (agentShape.prune as { unwrap(): { shape: Record<string, unknown> } }).unwrap().shape;
  const known = new Set([...Object.keys(agentShape), ...Object.keys(pruneShape).map((k) => `prune.${k}`)]);

  it("names only agent.* keys that exist (comments included; agent.key is the key file's name)", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      );
    const named: string[] = [];
    for (const f of files(examples))
      for (const m of readFileSync(f, "utf8").matchAll(/\bagent\.((?:prune\.)?[a-z_]+)/g))
        if (!known.has(m[1]) && m[1] !== "key") named.push(`${relative(examples, f)}: agent.${m[1]}`);
    expect(named).toEqual([]);
  });
});
