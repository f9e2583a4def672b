import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { Option } from "commander";
import { UsageError, UserFileError } from "../../core/errors.js";
import { AgentKey } from "../../crypto/agent-key.js";
import { parseIdentityFile, type AgeIdentity } from "../../crypto/age-keys.js";
import { openRepositoryStorage } from "../../jobs/open-repository.js";
import { Repository } from "../../repository/repository.js";
import { addStorageFlags, storageSettingsFromFlags, type StorageFlags } from "./storage-flags.js";
import { terminalText } from "./terminal-text.js";

export interface RepoOpts extends StorageFlags {
  repo?: string;
  agentKeyFile?: string;
  identity?: string;
  cacheDir?: string;
  json?: boolean;
}

/** Every command that touches a repository takes these; each also reads an environment variable. */
export function repoOptions(cmd: Command, withIdentity = true): Command {
  cmd.addOption(
    new Option(
      "-r, --repo <url>",
      "repository: a directory, file:///path, s3://bucket/prefix or azure://container/prefix",
    ).env("CAIRN_REPO"),
  );
  cmd.addOption(
    new Option("--agent-key-file <file>", "agent key file (or CAIRN_AGENT_KEY with the key itself)").env(
      "CAIRN_AGENT_KEY_FILE",
    ),
  );
  if (withIdentity)
    cmd.addOption(
      new Option("-i, --identity <file>", "restore identity file (AGE-SECRET-KEY-1...)").env("CAIRN_IDENTITY_FILE"),
    );
  cmd.addOption(new Option("--cache-dir <dir>", "local cache directory").env("CAIRN_CACHE_DIR"));
  return addStorageFlags(cmd);
}

const AGENT_KEY_FLAG = "--agent-key-file (or CAIRN_AGENT_KEY_FILE)";
const IDENTITY_FLAG = "--identity (or CAIRN_IDENTITY_FILE)";
const AGENT_KEY_HINT =
  "give the file `cairn init --agent-key-file` wrote for this repository (or its text in CAIRN_AGENT_KEY), readable by this user";
const IDENTITY_HINT =
  "give the file `cairn key generate --output` wrote (AGE-SECRET-KEY-1...), one of the repository's recipients, readable by this user";

export function requireRepo(o: RepoOpts): string {
  if (!o.repo) throw new UsageError("no repository given", { hint: "pass --repo or set CAIRN_REPO" });
  return o.repo;
}

export async function loadAgentKey(o: RepoOpts): Promise<AgentKey | undefined> {
  if (o.agentKeyFile) {
    const file = o.agentKeyFile;
    const text = await readFile(file, "utf8").catch((e: unknown) => {
      throw new UserFileError(AGENT_KEY_FLAG, { verb: "read", thing: "agent key file" }, file, e, AGENT_KEY_HINT);
    });
    return AgentKey.parse(text, file);
  }
  const env = process.env.CAIRN_AGENT_KEY;
  return env ? AgentKey.parse(env, "CAIRN_AGENT_KEY") : undefined;
}

export async function loadIdentities(o: RepoOpts): Promise<AgeIdentity[] | undefined> {
  if (!o.identity) return undefined;
  const file = o.identity;
  const text = await readFile(file, "utf8").catch((e: unknown) => {
    throw new UserFileError(IDENTITY_FLAG, { verb: "read", thing: "identity file" }, file, e, IDENTITY_HINT);
  });
  return parseIdentityFile(text, file);
}

export async function openRepo(o: RepoOpts): Promise<Repository> {
  const storage = await openRepositoryStorage(requireRepo(o), storageSettingsFromFlags(o));
  const [agentKey, identities] = await Promise.all([loadAgentKey(o), loadIdentities(o)]);
  const repo = await Repository.open(storage, { agentKey, identities });
  // Damage worked around (a skipped snapshot or index file, a missing pack) is said once, on stderr.
  repo.onWarning = (w) =>
    process.stderr.write(`warning: ${w.kind} ${terminalText(w.key)}: ${terminalText(w.message)}\n`);
  return repo;
}
