import { Command } from "commander";
import { checkRepository } from "../../maintenance/check.js";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";
import { humanBytes, printJson } from "../shared/print.js";
import { terminalText } from "../shared/terminal-text.js";

interface CheckOpts extends RepoOpts {
  readData?: boolean;
}

export function checkCommand(): Command {
  const cmd = new Command("check").description(
    "verify the repository: object hashes and structure; --read-data decrypts and verifies every blob",
  );
  return repoOptions(cmd)
    .option("--read-data", "decrypt and verify every blob (data packs need --identity)")
    .option("--json", "JSON output")
    .action(async (o: CheckOpts) => {
      const repo = await openRepo(o);
      const r = await checkRepository(repo, { readData: o.readData });
      if (o.json) printJson(r);
      else {
        process.stdout.write(
          `checked ${r.objects} objects (${humanBytes(r.bytesHashed)}), ${r.snapshots} snapshots, ${r.packs} packs${o.readData ? `, ${r.blobsVerified} blobs verified` : ""}\n`,
        );
        if (r.dataPacksSkipped > 0)
          process.stdout.write(
            `${r.dataPacksSkipped} data packs not decrypted: pass --identity to verify their contents\n`,
          );
        for (const s of r.strays) process.stdout.write(`warning: stray object ${s.key}: ${s.message}\n`);
        for (const p of r.problems)
          process.stdout.write(
            `error: ${p.kind} ${terminalText(p.key)}: ${terminalText(p.message)}${p.snapshots ? ` (snapshots ${p.snapshots.map((s) => s.slice(0, 8)).join(", ")})` : ""}\n`,
          );
        process.stdout.write(
          r.problems.length === 0 ? "no problems found\n" : `${r.problems.length} problem(s) found\n`,
        );
      }
      if (r.problems.length > 0) process.exitCode = 1;
    });
}
