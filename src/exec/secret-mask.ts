/**
 * Secret values this process knows (a config's agent keys, hook environments,
 * database passwords, notification tokens), masked out of text before it
 * becomes a log line: what a child process writes (hooks, dump and database
 * tools, restore commands), the errors quoting it, and, as a last line of
 * defence, every line the agent's logger writes. A value once registered
 * stays masked for the life of the process (a reloaded config adds its own),
 * as a CI runner's masks do. Values shorter than MIN_LENGTH are not masked:
 * they would blank out those letters in every line, and are no secret.
 */
export class SecretMask {
  private readonly values = new Set<string>();
  private pattern?: RegExp;

  /** Register values to mask; each also in the form JSON gives it (a log line is JSON). */
  add(values: Iterable<string>): void {
    for (const v of values) {
      if (v.length < MIN_LENGTH) continue;
      this.values.add(v);
      this.values.add(JSON.stringify(v).slice(1, -1));
    }
    this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  /** `text` with every registered value replaced by MASK (the longest first, so one value inside another goes whole). */
  mask(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, MASK);
  }
}

/** What a masked value is shown as. */
export const MASK = "[masked]";

/** Shorter values are not masked (see SecretMask). */
export const MIN_LENGTH = 4;

/** The secrets of this process: filled when a config is loaded or a source flag read, applied by exec/ and the logger. */
export const processSecrets = new SecretMask();
