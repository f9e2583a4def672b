import { Command } from "commander";
import { generateIdentity, parseRecipient } from "../../crypto/age-keys.js";
import { keyFileRecipients } from "../../repository/format/key-ring.js";
import { UsageError } from "../../core/errors.js";
import { openRepo, repoOptions, type RepoOpts } from "../shared/repo-options.js";
import { printJson } from "../shared/print.js";
import { writeSecretFile } from "../shared/secret-file.js";
import { terminalText } from "../shared/terminal-text.js";

export function keyCommand(): Command {
  const key = new Command("key").description("restore identities and the recipients the repository encrypts to");
  key
    .command("generate")
    .description("create an age X25519 identity; prints its recipient (age1...)")
    .requiredOption("-o, --output <file>", "where to write the identity (mode 0600)")
    .action(async (o: { output: string }) => {
      const id = generateIdentity();
      await writeSecretFile(o.output, `# created: ${new Date().toISOString()}\n# public key: ${id.recipient}\n${id}\n`);
      process.stdout.write(`${id.recipient}\n`);
    });
  repoOptions(
    key.command("list").description("list the recipients data is encrypted to").option("--json", "JSON output"),
  ).action(async (o: RepoOpts) => {
    const repo = await openRepo(o);
    const current = await repo.currentKeyFile();
    if (o.json)
      printJson({
        keyFile: current.objectId,
        seq: current.seq,
        created: current.created,
        recipients: current.recipients,
      });
    else for (const r of current.recipients) process.stdout.write(`${terminalText(r)}\n`);
  });
  repoOptions(
    key
      .command("add")
      .description("add a recipient (needs --identity; re-wraps the keys, re-uploads no data)")
      .argument("<recipient>"),
  ).action(async (r: string, o: RepoOpts) => {
    const repo = await openRepo(o);
    repo.requireIdentity("key add");
    const rec = parseRecipient(r);
    const now = keyFileRecipients(await repo.currentKeyFile());
    if (now.some((x) => String(x) === String(rec))) throw new UsageError(`${rec} is already a recipient`);
    await repo.setRecipients([...now, rec]);
    process.stdout.write(`added ${rec}; new data is encrypted to ${now.length + 1} recipients\n`);
  });
  repoOptions(
    key
      .command("remove")
      .description("remove a recipient (needs --identity; it can no longer open the repository's keys)")
      .argument("<recipient>"),
  ).action(async (r: string, o: RepoOpts) => {
    const repo = await openRepo(o);
    repo.requireIdentity("key remove");
    const now = keyFileRecipients(await repo.currentKeyFile());
    const left = now.filter((x) => String(x) !== r.trim());
    if (left.length === now.length)
      throw new UsageError(`${r} is not a recipient of this repository`, { hint: "see `cairn key list`" });
    if (left.length === 0)
      throw new UsageError("refusing to remove the last recipient: nobody could restore new backups", {
        hint: "add the new recipient first",
      });
    await repo.setRecipients(left);
    process.stdout.write(`removed ${r}\n`);
  });
  return key;
}
