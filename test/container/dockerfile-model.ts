import { readFileSync } from "node:fs";

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface DockerfileModel {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

/**
 * A small reader for the subset of Dockerfile syntax our Dockerfile uses
 * (no heredocs, no parser directives), so the container tests can replay its
 * steps instead of keeping a second copy of them in the test.
 */
export function readDockerfile(path: string): DockerfileModel {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of logicalLines(readFileSync(path, "utf8"))) {
    if (ins.keyword === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ image: substitute(m[1]!, globalArgs), name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== "ARG") throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
      const [k, v = ""] = ins.args.split("=", 2);
      globalArgs.set(k!.trim(), v.trim());
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

function logicalLines(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trimStart().startsWith("#"))) return;
    if (pending !== "" && line.trimStart().startsWith("#")) return;
    if (pending === "") start = i + 1;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      return;
    }
    const full = (pending + line).trim();
    pending = "";
    const sp = full.search(/\s/);
    out.push({
      keyword: full.slice(0, sp).toUpperCase(),
      args: full
        .slice(sp + 1)
        .trim()
        .replace(/\s+/g, " "),
      line: start,
    });
  });
  return out;
}

function substitute(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\{(\w+)\}/g, (_, k: string) => vars.get(k) ?? "");
}

export function stage(model: DockerfileModel, name: string | undefined): Stage {
  const s = name === undefined ? model.stages.at(-1) : model.stages.find((x) => x.name === name);
  if (!s) throw new Error(`Dockerfile has no stage ${name ?? "(final)"}`);
  return s;
}

/** `["a", "b"]` exec-form arguments. */
export function execForm(args: string): string[] {
  return JSON.parse(args) as string[];
}

/** The variables a stage's ENV instructions set (`ENV K=V K2=V2` form, unquoted values). */
export function stageEnv(s: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of s.instructions.filter((i) => i.keyword === "ENV")) {
    for (const pair of ins.args.split(" ")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`Dockerfile line ${ins.line}: cannot read ENV ${ins.args}`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}
