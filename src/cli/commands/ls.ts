import { Command } from "commander";
import { listTree } from "../../restore/list-tree.js";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";
import { printJson } from "../shared/print.js";
import { terminalText } from "../shared/terminal-text.js";

export function lsCommand(): Command {
  const cmd = new Command("ls")
    .description("list the files of a snapshot (needs the identity)")
    .argument("<snapshot>", "snapshot id (prefix) or latest")
    .argument("[path]", "only under this path");
  return repoOptions(cmd)
    .option("--json", "JSON lines output")
    .action(async (ref: string, path: string | undefined, o: RepoOpts) => {
      const repo = await openRepo(o);
      repo.requireIdentity("ls");
      const snap = await repo.findSnapshot(ref);
      for await (const e of listTree(repo, snap.tree, path)) {
        if (o.json)
          printJson({ path: e.path, type: e.node.type, size: e.node.size, mode: e.node.mode, mtimeNs: e.node.mtimeNs });
        else
          process.stdout.write(
            `${e.node.type === "dir" ? "d" : e.node.type === "symlink" ? "l" : "-"} ${String(e.node.size ?? 0).padStart(12)}  ${terminalText(e.path)}\n`,
          );
      }
    });
}
