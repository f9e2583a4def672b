import type { RetentionConfig } from "../retention/policy-config.js";
import type { AgentSettings, JobConfig, PruneConfig, RepositoryConfig } from "./config-schema.js";
import type { NotifyTarget } from "./notify-schema.js";

/** A job after validation: its kind decided, durations in milliseconds, retention parsed. */
export interface JobSpec {
  name: string;
  kind: "backup" | "sync" | "drill";
  config: JobConfig;
  retention?: RetentionConfig;
  jitterMs: number;
  retryBackoffMs: number;
  hookTimeoutMs: number;
  notifyTimeoutMs: number;
  /** Where its notifications go, each target with the events it hears (src/config/notify-schema.ts). */
  notifyTargets: NotifyTarget[];
  /** max_age in milliseconds: older newest snapshots alert. */
  maxAgeMs?: number;
  /** Time zone of the schedule: the job's, else agent.timezone, else the process's. */
  timezone?: string;
}

export interface PruneSpec {
  config: PruneConfig;
  repositories: string[];
  graceMs: number;
  /** max_unused and max_repack_size, parsed (config/units.ts). */
  maxUnused: number;
  maxRepackBytes?: number;
  timezone?: string;
}

/** A validated config, ready for the agent, `cairn run` and `cairn status`. */
export interface AgentConfig {
  file: string;
  agent: AgentSettings;
  repositories: Record<string, RepositoryConfig>;
  jobs: Record<string, JobSpec>;
  prune?: PruneSpec;
  gracePeriodMs: number;
  /** Its secret values (src/config/config-secrets.ts), masked out of child output and log lines. */
  secrets: readonly string[];
}
