import { Command } from "commander";
import { dumpFile } from "../../restore/dump-file.js";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";

export function dumpCommand(): Command {
  const cmd = new Command("dump")
    .description("write one file of a snapshot to stdout (needs the identity)")
    .argument("<snapshot>", "snapshot id (prefix) or latest")
    .argument("<file>", "path of the file in the snapshot");
  return repoOptions(cmd).action(async (ref: string, file: string, o: RepoOpts) => {
    const repo = await openRepo(o);
    repo.requireIdentity("dump");
    const snap = await repo.findSnapshot(ref);
    await dumpFile(repo, snap.tree, file, process.stdout);
  });
}
