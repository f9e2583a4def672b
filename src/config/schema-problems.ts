import type { Document, LineCounter } from "yaml";
import type { z } from "zod";
import type { ConfigProblem } from "../core/errors.js";
import { joinPath } from "./env-substitute.js";
import { lineOf } from "./yaml-lines.js";

/** A zod error of the section at `prefix` as config problems: dotted path, line, and what was expected. */
export function schemaProblems(
  error: z.ZodError,
  prefix: readonly string[],
  doc: Document,
  lc: LineCounter,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const segs = [...prefix, ...issue.path.map(String)];
    const path = segs.join(".");
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys)
        out.push({
          path: joinPath(path, k),
          line: lineOf(doc, lc, [...segs, k], true),
          message: "unknown key (misspelt? docs/CONFIG.md lists every key)",
        });
      continue;
    }
    const message = issue.message
      .replace(/^Invalid input: expected (\w+), received undefined$/, "missing: expected $1")
      .replace(/^Invalid input: /, "");
    out.push({ path, line: lineOf(doc, lc, segs), message });
  }
  return out;
}
