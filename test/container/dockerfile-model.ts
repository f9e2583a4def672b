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
 * (no heredocs, no parser directives), for the checks that need no build
 * (dockerfile.test.ts).
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
