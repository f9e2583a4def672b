import { parse } from "yaml";
import { UsageError, type ConfigProblem } from "../../core/errors.js";
import { checkSource } from "../../config/check-values.js";
import { DbSourceSchema, type DbSourceConfig } from "../../sources/db-source-schema.js";
import { sourceSecrets } from "../../config/config-secrets.js";
import { processSecrets } from "../../exec/secret-mask.js";

/**
 * `--source '{type: postgres, mode: physical, data_dir: /var/lib/postgresql/15/main}'`:
 * a job's `source:` section given inline (YAML or JSON), validated like the
 * config file's, so every preset is reachable from the CLI.
 */
export function parseSourceFlag(text: string): DbSourceConfig {
  let value: unknown;
  try {
    value = parse(text);
  } catch (e) {
    throw new UsageError(`--source is not YAML: ${(e as Error).message}`);
  }
  const r = DbSourceSchema.safeParse(value);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
    throw new UsageError(`--source: ${why}`, {
      hint: "e.g. --source '{type: postgres, mode: logical, database: orders}' (docs/DATABASES.md)",
    });
  }
  // The checks a config's source gets beyond its shape: exclude patterns, a timeout a timer can hold.
  const problems: ConfigProblem[] = [];
  checkSource(r.data, "source", problems);
  if (problems.length > 0)
    throw new UsageError(`--source: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  // Whatever the source's commands write of its password or environment is masked (exec/secret-mask.ts).
  processSecrets.add(sourceSecrets(r.data));
  return r.data;
}
