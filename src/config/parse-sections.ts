import type { Document, LineCounter } from "yaml";
import { z } from "zod";
import type { ConfigProblem } from "../core/errors.js";
import { AgentSchema, JobSchema, NAME, NAME_RULE, RepositorySchema, type RawConfig } from "./config-schema.js";
import { schemaProblems } from "./schema-problems.js";
import { lineOf } from "./yaml-lines.js";

/** The names the file declares, and the keys of each section that did not parse (`jobs.a` -> `schedule`). */
export interface Declared {
  repositories: ReadonlySet<string>;
  jobs: ReadonlySet<string>;
  /** A check that needs to know whether such a key is there (a job's source:, its repositories:) is skipped. */
  broken: ReadonlyMap<string, ReadonlySet<string>>;
}

const Shell = z.strictObject({
  repositories: z.record(z.string(), z.unknown()),
  jobs: z.record(z.string(), z.unknown()),
  agent: z.unknown().optional(),
});

/**
 * The config parsed one section at a time (each repository, each job, the
 * agent block) and, within a section that does not parse, one key at a time,
 * so a broken value is reported together with every other problem of the
 * file: the keys that parse still go on to the cross-checks (names,
 * durations, patterns). A key that does not parse takes its default, or is
 * left out and listed in `broken`. The result is used for those checks only:
 * any problem stops the load before it is handed to anyone.
 */
export function parseSections(
  value: unknown,
  doc: Document,
  lc: LineCounter,
  problems: ConfigProblem[],
): { config: RawConfig; declared: Declared } | undefined {
  const shell = Shell.safeParse(value);
  if (!shell.success) problems.push(...schemaProblems(shell.error, [], doc, lc));
  if (!isRecord(value)) return undefined;
  const broken = new Map<string, ReadonlySet<string>>();
  const parse = <T>(schema: Section<T>, v: unknown, at: string[]): T => {
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    problems.push(...schemaProblems(r.error, at, doc, lc));
    const { data, failed } = keyByKey(schema, v);
    broken.set(at.join("."), failed);
    return data;
  };
  const section = <T>(schema: Section<T>, key: "repositories" | "jobs") =>
    Object.fromEntries(
      entries(value[key], key, doc, lc, problems).map(([name, v]) => [name, parse(schema, v, [key, name])]),
    );
  const repositories = section(RepositorySchema, "repositories");
  const jobs = section(JobSchema, "jobs");
  const agent = parse(AgentSchema, value.agent ?? {}, ["agent"]);
  // Without both maps there is nothing to cross-check (their absence is already a problem).
  if (!isRecord(value.repositories) || !isRecord(value.jobs)) return undefined;
  return {
    config: { repositories, jobs, agent },
    declared: {
      repositories: new Set(Object.keys(value.repositories)),
      jobs: new Set(Object.keys(value.jobs)),
      broken,
    },
  };
}

/** A section's schema: a zod object whose keys can be parsed one by one. */
type Section<T> = z.ZodType<T> & { shape: Record<string, z.ZodType> };

/** The keys of `value` that parse on their own (absent or broken ones take their default, if any), and the broken ones. */
function keyByKey<T>(schema: Section<T>, value: unknown): { data: T; failed: Set<string> } {
  const v = isRecord(value) ? value : {};
  const data: Record<string, unknown> = {};
  const failed = new Set<string>();
  for (const [key, field] of Object.entries(schema.shape)) {
    const r = field.safeParse(v[key]);
    if (r.success) data[key] = r.data;
    else {
      if (key in v) failed.add(key);
      const fallback = field.safeParse(undefined);
      if (fallback.success) data[key] = fallback.data;
    }
  }
  // Only ever read by the cross-checks, which skip what `failed` names; never returned from a load.
  return { data: data as T, failed };
}

/** A map's entries whose names are valid; an invalid name is a problem at its key. */
function entries(
  map: unknown,
  key: string,
  doc: Document,
  lc: LineCounter,
  problems: ConfigProblem[],
): [string, unknown][] {
  if (!isRecord(map)) return [];
  return Object.entries(map).filter(([name]) => {
    if (NAME.test(name)) return true;
    problems.push({
      path: `${key}.${name}`,
      line: lineOf(doc, lc, [key, name], true),
      message: `invalid name: ${NAME_RULE}`,
    });
    return false;
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
