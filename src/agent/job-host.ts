import { existsSync } from "node:fs";
import { hostname } from "node:os";
import type { AgentSettings } from "../config/config-schema.js";

/** Where a job's snapshot host came from, for the start-up log line and docs/CONFIG.md §Snapshot host. */
export type HostSource = "job" | "agent.host" | "CAIRN_HOST" | "job name (in a container)" | "hostname";

export interface JobHost {
  host: string;
  from: HostSource;
}

/**
 * The host a job's snapshots record, which also picks its parent snapshot and
 * the snapshots its retention may remove: the job's `host`, else `agent.host`,
 * else $CAIRN_HOST, else, in a container, the job's name, else the machine's
 * hostname. A container's hostname is the container's or pod's id, new with
 * every container: as a snapshot's host it would find no parent after a
 * restart (every file re-read) and split retention into one group per
 * container, none of them ever trimmed. A machine's hostname is stable, and
 * is what restic and earlier cairn releases record, so hosts keep their
 * parents across the upgrade.
 */
export function jobHost(
  job: { name: string; config: { host?: string } },
  agent: Pick<AgentSettings, "host">,
  env: NodeJS.ProcessEnv = process.env,
  inContainer: () => boolean = runningInContainer,
): JobHost {
  if (job.config.host) return { host: job.config.host, from: "job" };
  if (agent.host) return { host: agent.host, from: "agent.host" };
  if (env.CAIRN_HOST) return { host: env.CAIRN_HOST, from: "CAIRN_HOST" };
  if (inContainer()) return { host: job.name, from: "job name (in a container)" };
  return { host: hostname(), from: "hostname" };
}

/**
 * Whether this process runs in a container: Kubernetes sets
 * KUBERNETES_SERVICE_HOST in every pod; Docker creates /.dockerenv, Podman
 * /run/.containerenv; Podman and systemd-nspawn set $container.
 */
export function runningInContainer(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    Boolean(env.KUBERNETES_SERVICE_HOST || env.container) ||
    existsSync("/.dockerenv") ||
    existsSync("/run/.containerenv")
  );
}
