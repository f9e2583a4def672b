import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";

/**
 * The deployment examples must fit together: each embedded agent config is
 * valid, and the paths, ports and probes the manifests wire up are the ones
 * that config uses. (No Docker engine or cluster runs here; this is what can
 * be checked without one.)
 */
const examples = join(import.meta.dirname, "..", "..", "examples");
const read = (f: string) => parse(readFileSync(join(examples, f), "utf8")) as Record<string, unknown>;
type Obj = Record<string, unknown>;
const listenPort = (listen: string) => Number(listen.split(":").at(-1));

describe("docker compose example", () => {
  const compose = read("docker-compose.yml") as {
    services: Record<string, Obj>;
    secrets: Record<string, { file: string }>;
  };
  const cairn = compose.services.cairn as { volumes: string[]; secrets: string[]; ports: string[]; command: string[] };

  it("mounts a valid agent config where the image's default command reads it", async () => {
    expect(cairn.volumes).toContain("./cairn.yaml:/etc/cairn/cairn.yaml:ro");
    expect(cairn.command).toEqual(["agent", "--config", "/etc/cairn/cairn.yaml"]);
    await loadConfig(join(examples, "cairn.yaml"), {});
  });

  it("backs up the app's volume read-only, with the agent key from a secret and the metrics port published", async () => {
    const config = await loadConfig(join(examples, "cairn.yaml"), {});
    const job = config.jobs["app-data"]!.config.source;
    const appMount = cairn.volumes.find((v) => v.startsWith("app-data:"))!;
    expect(appMount.endsWith(":ro")).toBe(true);
    expect(job?.type === "files" && job.paths).toEqual([appMount.split(":")[1]]);
    expect(cairn.secrets).toEqual(["cairn-agent-key"]);
    expect(config.repositories.primary!.agent_key_file).toBe("/run/secrets/cairn-agent-key");
    expect(cairn.ports.map((p) => Number(p.split(":")[1]))).toContain(listenPort(config.agent.listen));
  });
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
  const config = parseConfig(configMap.data["cairn.yaml"]!, "configmap.yaml", {});
  const mountOf = (volume: string) => cairn.volumeMounts.find((m) => m.name === volume)!;

  it("embeds a valid agent config, mounted where the container's arguments read it", () => {
    const configVolume = pod.spec.volumes.find(
      (v) => (v.configMap as Obj | undefined)?.name === configMap.metadata.name,
    )!;
    expect(`${mountOf(configVolume.name as string).mountPath}/cairn.yaml`).toBe(
      cairn.args[cairn.args.indexOf("--config") + 1],
    );
  });

  it("wires the probes and the scrape annotations to the agent's listen port", () => {
    const port = cairn.ports.find((p) => p.name === cairn.livenessProbe.httpGet.port)!;
    expect(port.containerPort).toBe(listenPort(config.agent.listen));
    expect(cairn.livenessProbe.httpGet.path).toBe("/healthz");
    expect(cairn.readinessProbe.httpGet.path).toBe("/readyz");
    expect(pod.metadata.annotations["prometheus.io/port"]).toBe(String(port.containerPort));
    expect(pod.metadata.annotations["prometheus.io/path"]).toBe("/metrics");
  });

  it("runs as non-root, reads the data read-only and the agent key from the mounted secret", () => {
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    const source = config.jobs["app-data"]!.config.source;
    const data = cairn.volumeMounts.find((m) => source?.type === "files" && source.paths.includes(m.mountPath))!;
    expect(data.readOnly).toBe(true);
    const keyFile = config.repositories.primary!.agent_key_file!;
    const secretVolume = pod.spec.volumes.find((v) => (v.secret as Obj | undefined)?.secretName === "cairn-secrets")!;
    expect(keyFile.startsWith(mountOf(secretVolume.name as string).mountPath + "/")).toBe(true);
  });
});
