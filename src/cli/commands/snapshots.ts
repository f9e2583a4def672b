import { Command } from "commander";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";
import { humanBytes, printJson } from "../shared/print.js";
import { terminalText } from "../shared/terminal-text.js";

export function snapshotsCommand(): Command {
  const cmd = new Command("snapshots").description("list snapshots (needs the agent key, or an identity to unwrap it)");
  return repoOptions(cmd)
    .option("--json", "JSON output")
    .action(async (o: RepoOpts) => {
      const repo = await openRepo(o);
      const snaps = await repo.listSnapshots();
      if (o.json) return printJson(snaps);
      for (const s of snaps) {
        const size = s.summary ? humanBytes(s.summary.bytesTotal) : "";
        // Records are written by any host holding the agent key: every field is escaped before a terminal sees it.
        const t = terminalText;
        process.stdout.write(
          `${s.id.slice(0, 8)}  ${t(s.time)}  ${t(s.host)}  ${size.padStart(10)}  ${t(s.paths.join(","))}${s.tags.length ? `  [${t(s.tags.join(","))}]` : ""}\n`,
        );
      }
      process.stdout.write(`${snaps.length} snapshot(s)\n`);
    });
}
