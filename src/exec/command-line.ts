import { UsageError } from "../core/errors.js";

/** Characters that only mean something to a shell: a command using them must ask for one (`shell: true`). */
const SHELL_ONLY = /[|&;<>()$`*?[\]{}~!#]/;

/**
 * Split a command line into argv the way a POSIX shell splits words with
 * single quotes, double quotes and backslashes, and nothing else: no
 * expansion, no pipes, no redirection. Running without a shell means a
 * database name or path is never reinterpreted.
 */
export function parseCommandLine(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      if (c === "\\" && i + 1 < line.length) i++;
      else if (SHELL_ONLY.test(c)) throw shellSyntax(line, c);
      word = (word ?? "") + line[i];
    }
  }
  if (quote) throw new UsageError(`command ${JSON.stringify(line)} has an unterminated ${quote} quote`);
  if (word !== undefined) words.push(word);
  if (words.length === 0) throw new UsageError("empty command");
  return words;
}

function shellSyntax(line: string, c: string): UsageError {
  return new UsageError(`command ${JSON.stringify(line)} uses shell syntax (${c}) but runs without a shell`, {
    hint: "quote the character, or ask for a shell (--dump-shell / `shell: true`)",
  });
}
