import { Command } from "commander";
import { retriesToLog } from "../shared/storage-retries.js";

interface AgentOpts {
  config: string;
}

/**
 * `cairn agent`: runs until SIGTERM/SIGINT (exit 0 within agent.grace_period;
 * a second signal exits at once with 130). SIGHUP reloads the config.
 */
export function agentCommand(): Command {
  return new Command("agent")
    .description(
      "run the jobs of a config file on their schedules, with retention, prune, /healthz, /readyz and /metrics",
    )
    .requiredOption("-c, --config <file>", "config file (or CAIRN_CONFIG)", process.env.CAIRN_CONFIG)
    .action(async (o: AgentOpts) => {
      // Loaded on use, here and in run/drill/status/config: the agent's modules (config schema, logging,
      // schedules, metrics) would otherwise add to every command's startup.
      const [{ loadConfig }, { createLogger }, { Agent }] = await Promise.all([
        import("../../config/load-config.js"),
        import("../../agent/logger.js"),
        import("../../agent/agent.js"),
      ]);
      const config = await loadConfig(o.config);
      const log = createLogger(config.agent.log_level);
      retriesToLog(log);
      const agent = new Agent(config, log);
      // Handlers go in before the agent starts: a signal must never meet the default action (SIGHUP would kill it).
      const stopped = new Promise<void>((done) => {
        let signals = 0;
        const stop = (sig: NodeJS.Signals) => {
          if (++signals > 1) {
            log.warn({ event: "agent_killed", signal: sig }, `second ${sig}: exiting at once`);
            process.exit(130);
          }
          void agent.shutdown(sig).then(done);
        };
        process.on("SIGTERM", stop);
        process.on("SIGINT", stop);
        process.on("SIGHUP", () => void agent.reload());
      });
      await agent.start();
      await stopped;
      // A run abandoned at shutdown may still hold handles (sockets, worker threads); nothing it holds must outlive the agent.
      process.exit(0);
    });
}
