import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { ConfigInvalidError, fileErrorReason, type ConfigProblem } from "../core/errors.js";
import type { AgentConfig } from "./agent-config.js";
import { processSecrets } from "../exec/secret-mask.js";
import { configSecrets, isSecretKey } from "./config-secrets.js";
import { substituteTree } from "./env-substitute.js";
import { parseSections } from "./parse-sections.js";
import { resolveConfig } from "./resolve-config.js";
import { lineOf } from "./yaml-lines.js";

/** Read and validate a config file; throws ConfigInvalidError listing every problem found. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new ConfigInvalidError(file, [
      {
        path: "",
        message: `cannot read the config file: ${e.code === "ENOENT" ? "no such file" : fileErrorReason(e)}`,
      },
    ]);
  });
  const config = parseConfig(text, file, env);
  // From now on whatever a hook or a tool echoes of these values is masked before it is logged.
  processSecrets.add(config.secrets);
  return config;
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigInvalidError(
      file,
      doc.errors.map((e) => ({
        path: "",
        line: lc.linePos(e.pos[0]).line,
        message: `YAML syntax: ${e.message.split("\n")[0]}`,
      })),
    );
  }
  const at = (path: string, atKey = false) => lineOf(doc, lc, path === "" ? [] : path.split("."), atKey);
  const problems: ConfigProblem[] = [];
  let raw: unknown;
  try {
    // yaml caps alias expansion (maxAliasCount), so a "billion laughs" file is refused, not expanded.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigInvalidError(file, [
      { path: "", line: 1, message: `YAML: ${(e as Error).message}; use fewer aliases (*name)` },
    ]);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigInvalidError(file, [
      { path: "", line: 1, message: "expected a mapping with repositories:, jobs: and optionally agent:" },
    ]);
  }
  const fromEnv: string[] = [];
  const substituted = substituteTree(raw, env, "", problems, (path, value) => {
    if (isSecretKey(path)) fromEnv.push(value);
  });
  const sections = parseSections(substituted, doc, lc, problems);
  const config = sections && resolveConfig(sections.config, sections.declared, file, problems);
  if (problems.length > 0 || !config) {
    throw new ConfigInvalidError(
      file,
      problems.map((p) => ({ ...p, line: p.line ?? at(p.path, /unknown|given twice/.test(p.message)) })),
    );
  }
  return { ...config, secrets: configSecrets(sections.config, fromEnv) };
}
