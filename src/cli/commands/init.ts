import { rm } from "node:fs/promises";
import { Command, Option } from "commander";
import { AgentKey } from "../../crypto/agent-key.js";
import { parseRecipient } from "../../crypto/age-keys.js";
import { Repository } from "../../repository/repository.js";
import { openRepositoryStorage } from "../../jobs/open-repository.js";
import { UsageError } from "../../core/errors.js";
import { requireRepo } from "../shared/repo-options.js";
import { printJson } from "../shared/print.js";
import { writeSecretFile } from "../shared/secret-file.js";
import { addStorageFlags, storageSettingsFromFlags, type StorageFlags } from "../shared/storage-flags.js";
import { terminalText } from "../shared/terminal-text.js";

interface InitOpts extends StorageFlags {
  repo?: string;
  recipient: string[];
  agentKeyFile?: string;
  packSize?: string;
  json?: boolean;
}

export function initCommand(): Command {
  const cmd = new Command("init")
    .description("create a repository and its agent key")
    .addOption(new Option("-r, --repo <url>", "repository location").env("CAIRN_REPO"))
    .option(
      "--recipient <age1...>",
      "recipient able to restore (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .addOption(
      new Option("--agent-key-file <file>", "where to write the new agent key (mode 0600)").env("CAIRN_AGENT_KEY_FILE"),
    )
    .option("--pack-size <MiB>", "target pack size in MiB (default 16)")
    .option("--json", "JSON output");
  return addStorageFlags(cmd).action(async (o: InitOpts) => {
    const url = requireRepo(o);
    if (!o.agentKeyFile) throw new UsageError("--agent-key-file is required: init writes the new agent key there");
    if (o.recipient.length === 0)
      throw new UsageError("at least one --recipient age1... is required", {
        hint: "create an identity with `cairn key generate --output id.txt`",
      });
    const recipients = o.recipient.map((r) => parseRecipient(r));
    const packSize = o.packSize ? Math.round(Number(o.packSize) * 1024 * 1024) : undefined;
    if (packSize !== undefined && !(packSize >= 1024 * 1024 && packSize <= 1024 * 1024 * 1024))
      throw new UsageError("--pack-size must be between 1 and 1024 MiB");
    const storage = await openRepositoryStorage(url, storageSettingsFromFlags(o));
    // The key file is written first: a repository whose agent key was never saved would be unusable.
    const agentKey = AgentKey.generate();
    await writeSecretFile(o.agentKeyFile, agentKey.toFileContents(), "--agent-key-file");
    const repo = await Repository.init(storage, { recipients, packSize, agentKey }).then(
      (r) => r.repo,
      async (e: unknown) => {
        await rm(o.agentKeyFile!, { force: true });
        throw e;
      },
    );
    if (o.json)
      printJson({
        repository: url,
        id: repo.config.id,
        agentKeyFile: o.agentKeyFile,
        recipients: recipients.map(String),
      });
    else
      process.stdout.write(
        `created repository ${repo.config.id} at ${terminalText(url)}\nagent key written to ${terminalText(o.agentKeyFile!)} (keep it; back it up separately)\n`,
      );
  });
}
