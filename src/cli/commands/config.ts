import { Command } from "commander";
import { printJson } from "../shared/print.js";
import { terminalText } from "../shared/terminal-text.js";

interface ValidateOpts {
  config: string;
  json?: boolean;
}

/** `cairn config validate`: exit 0, or 2 listing every problem (ConfigInvalidError) with path and line. */
export function configCommand(): Command {
  const cmd = new Command("config").description("work with the agent's YAML config file");
  cmd
    .command("validate")
    .description("check a config file: every problem is listed with its key path, line and what was expected (exit 2)")
    .requiredOption("-c, --config <file>", "config file", process.env.CAIRN_CONFIG)
    .option("--json", "JSON output")
    .action(async (o: ValidateOpts) => {
      const { loadConfig } = await import("../../config/load-config.js"); // on use: see agent.ts
      const c = await loadConfig(o.config);
      const summary = {
        file: c.file,
        repositories: Object.keys(c.repositories),
        jobs: Object.keys(c.jobs),
        prune: c.prune !== undefined,
      };
      if (o.json) printJson({ valid: true, ...summary });
      else
        process.stdout.write(
          `${terminalText(c.file)}: valid; ${summary.repositories.length} repository(ies), ${summary.jobs.length} job(s): ${summary.jobs.join(", ")}\n`,
        );
    });
  return cmd;
}
