import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { jobHost, runningInContainer } from "../../src/agent/job-host.js";

const job = (host?: string) => ({ name: "app-data", config: { host } });
const inContainer = () => true;
const onAHost = () => false;

describe("jobHost", () => {
  it("the job's host, else agent.host, else $CAIRN_HOST", () => {
    expect(jobHost(job("db1"), { host: "agent1" }, { CAIRN_HOST: "env1" }, inContainer)).toEqual({
      host: "db1",
      from: "job",
    });
    expect(jobHost(job(), { host: "agent1" }, { CAIRN_HOST: "env1" }, inContainer)).toEqual({
      host: "agent1",
      from: "agent.host",
    });
    expect(jobHost(job(), {}, { CAIRN_HOST: "env1" }, inContainer)).toEqual({ host: "env1", from: "CAIRN_HOST" });
  });

  it("in a container with none set, the job's name (a container's hostname is new each time); on a machine, its hostname", () => {
    expect(jobHost(job(), {}, {}, inContainer)).toEqual({ host: "app-data", from: "job name (in a container)" });
    expect(jobHost(job(), {}, {}, onAHost)).toEqual({ host: hostname(), from: "hostname" });
    expect(jobHost(job(""), {}, { CAIRN_HOST: "" }, onAHost).from).toBe("hostname"); // an empty ${VAR:-} is unset
  });

  it("a Kubernetes pod or a container manager's $container counts as a container", () => {
    expect(runningInContainer({ KUBERNETES_SERVICE_HOST: "10.0.0.1" })).toBe(true);
    expect(runningInContainer({ container: "podman" })).toBe(true);
  });
});
