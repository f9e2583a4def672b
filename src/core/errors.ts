/**
 * Typed errors. Every error a user can cause carries a stable `code`, the exit
 * code the CLI maps it to, and a `hint` that says what to do. Only cli/main.ts
 * and the agent's job runner turn these into exits and log lines.
 */
export interface CairnErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class CairnError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint?: string;

  constructor(code: string, message: string, exitCode = 1, opts: CairnErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
  }
}

/** Bad flags, bad config: exit 2. */
export class UsageError extends CairnError {
  constructor(message: string, opts: CairnErrorOptions = {}) {
    super("E_USAGE", message, 2, opts);
  }
}

export class ConfigError extends CairnError {
  readonly file?: string;
  readonly line?: number;
  readonly path?: string;
  constructor(
    message: string,
    where: { file?: string; line?: number; path?: string } = {},
    opts: CairnErrorOptions = {},
  ) {
    super("E_CONFIG", message, 2, opts);
    this.file = where.file;
    this.line = where.line;
    this.path = where.path;
  }
}

/** An object failed authentication, hashing or decoding. Names the object and its kind. */
export class IntegrityError extends CairnError {
  readonly objectKey: string;
  readonly kind: string;
  /** The message without the "<kind> <objectKey>: " prefix (to rebuild the error on another thread). */
  readonly detail: string;
  constructor(kind: string, objectKey: string, message: string, opts: CairnErrorOptions = {}) {
    super("E_INTEGRITY", `${kind} ${objectKey}: ${message}`, 1, {
      hint: opts.hint ?? "run `cairn check --read-data` to see every damaged object",
      cause: opts.cause,
    });
    this.objectKey = objectKey;
    this.kind = kind;
    this.detail = message;
  }
}

/** The key given does not open this repository or object. */
export class WrongKeyError extends CairnError {
  constructor(message: string, opts: CairnErrorOptions = {}) {
    super("E_WRONG_KEY", message, 1, opts);
  }
}

/** An operation needs the restore identity, which the caller did not provide. */
export class IdentityRequiredError extends CairnError {
  constructor(operation: string) {
    super("E_IDENTITY_REQUIRED", `${operation} needs the restore identity`, 2, {
      hint: "pass --identity FILE (or set CAIRN_IDENTITY_FILE) with the AGE-SECRET-KEY-1... identity the repository was initialised for",
    });
  }
}

export class StorageError extends CairnError {
  readonly backend: string;
  readonly key?: string;
  readonly status?: number;
  readonly retryable: boolean;
  /** The store asked to wait this long before retrying (HTTP Retry-After). */
  readonly retryAfterMs?: number;
  constructor(
    backend: string,
    key: string | undefined,
    message: string,
    info: { status?: number; retryable?: boolean; retryAfterMs?: number } & CairnErrorOptions = {},
  ) {
    super("E_STORAGE", `${backend}${key ? ` ${key}` : ""}: ${message}`, 1, info);
    this.backend = backend;
    this.key = key;
    this.status = info.status;
    this.retryable = info.retryable ?? false;
    this.retryAfterMs = info.retryAfterMs;
  }
}

/** get/head of an object that does not exist. */
export class NotFoundError extends StorageError {
  constructor(backend: string, key: string, opts: CairnErrorOptions = {}) {
    super(backend, key, "object not found", { status: 404, retryable: false, ...opts });
  }
}

/** Conditional create found the object already there. */
export class AlreadyExistsError extends StorageError {
  constructor(backend: string, key: string) {
    super(backend, key, "object already exists", { status: 409, retryable: false });
  }
}

/** Delete refused because the object is under an Object Lock / immutability retention period. Expected during prune: retried later. */
export class ObjectLockedError extends StorageError {
  readonly retainUntil?: Date;
  constructor(backend: string, key: string, retainUntil?: Date, opts: CairnErrorOptions = {}) {
    super(
      backend,
      key,
      `object is locked${retainUntil ? ` until ${retainUntil.toISOString()}` : ""} (object lock / immutability)`,
      { status: 403, retryable: false, ...opts },
    );
    this.retainUntil = retainUntil;
  }
}

/** A source (file, directory, dump command) could not be read. */
export class SourceError extends CairnError {
  readonly path: string;
  constructor(path: string, message: string, opts: CairnErrorOptions = {}) {
    super("E_SOURCE", `${path}: ${message}`, 1, opts);
    this.path = path;
  }
}

export class RepositoryError extends CairnError {
  constructor(message: string, opts: CairnErrorOptions = {}) {
    super("E_REPOSITORY", message, 1, opts);
  }
}

/** Restore refused an entry (unsafe name, collision, escape attempt). */
export class UnsafePathError extends CairnError {
  readonly entry: string;
  constructor(entry: string, message: string) {
    super("E_UNSAFE_PATH", `${JSON.stringify(entry)}: ${message}`, 1);
    this.entry = entry;
  }
}

export class AbortedError extends CairnError {
  constructor(message = "operation aborted") {
    super("E_ABORTED", message, 1);
  }
}

/** One thing wrong in a config file: where (dotted path, line) and what was expected. */
export interface ConfigProblem {
  path: string;
  line?: number;
  message: string;
}

/** A config file with one or more problems; the message lists every one (exit 2). */
export class ConfigInvalidError extends CairnError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];
  constructor(file: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map(
      (p) => `  ${file}${p.line === undefined ? "" : `:${p.line}`}: ${p.path || "(top level)"}: ${p.message}`,
    );
    super("E_CONFIG", `${file}: ${problems.length} problem(s) in the config:\n${lines.join("\n")}`, 2, {
      hint: "fix each listed key (docs/CONFIG.md documents them all) and run `cairn config validate --config FILE`",
    });
    this.file = file;
    this.problems = problems;
  }
}

/**
 * This host's clock and the storage's disagree by more than a prune's grace
 * period absorbs (FORMAT.md §Prune, Clocks): prune refuses rather than judge
 * ages with a wrong clock. Names both clocks and the bound.
 */
export class ClockSkewError extends CairnError {
  constructor(
    readonly storage: string,
    readonly hostTime: Date,
    readonly storeTime: Date,
    /** store − host, in ms. */
    readonly skewMs: number,
    readonly graceMs: number,
    readonly maxSkewMs: number,
  ) {
    const d = ClockSkewError.span;
    super(
      "E_CLOCK_SKEW",
      `refusing to prune: this host's clock reads ${hostTime.toISOString()} but ${storage} dated an object it wrote just now ${storeTime.toISOString()}, ${d(Math.abs(skewMs))} ${skewMs > 0 ? "later" : "earlier"}; a grace period of ${d(graceMs)} absorbs at most ${d(maxSkewMs)}`,
      1,
      {
        hint: `set this host's clock (NTP: chrony, systemd-timesyncd) or the storage's; if the difference cannot be fixed, pass a --grace of at least 4 × ${d(Math.abs(skewMs))}`,
      },
    );
  }

  private static span(ms: number): string {
    if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
    const s = Math.round(ms / 1000);
    const parts = [
      [Math.floor(s / 3600), "h"],
      [Math.floor((s % 3600) / 60), "m"],
      [s % 60, "s"],
    ] as const;
    return parts
      .filter(([n]) => n > 0)
      .map(([n, u]) => `${n}${u}`)
      .join("");
  }
}

/**
 * A restore drill failed: the snapshot could not be restored whole, replayed,
 * or its check query failed. Names the drilled job, the snapshot and, when
 * damage was the cause, the damaged object (`objectKey`, e.g. `data/ab/ab…`).
 */
export class DrillFailedError extends CairnError {
  readonly objectKey?: string;
  constructor(message: string, opts: CairnErrorOptions & { objectKey?: string } = {}) {
    super("E_DRILL", message, 1, {
      hint:
        opts.hint ??
        (opts.objectKey
          ? `run \`cairn check --read-data\` on that repository; ${opts.objectKey} is damaged`
          : undefined),
      cause: opts.cause,
    });
    this.objectKey = opts.objectKey;
  }
}

// What a file-system errno means to someone who named the file; anything else keeps the system's own words.
const FILE_REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is a file, not a directory",
  EEXIST: "it already exists",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links in the path",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
};

/** Why a file operation failed, in words (`no such file or directory`), from its errno code. */
export function fileErrorReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code && FILE_REASONS[code]) ?? (e instanceof Error ? e.message : String(e));
}

/**
 * A file the user named (by a flag, an environment variable or a config key)
 * cannot be read, written or used: the message says who named it, what the
 * file is for, the file, and why (`--identity: cannot read the identity file
 * id.txt: no such file or directory`); exit 2, since the fix is the user's.
 */
export class UserFileError extends CairnError {
  readonly file: string;
  constructor(
    namedBy: string,
    what: { verb: "read" | "write" | "use"; thing: string },
    file: string,
    cause: unknown,
    hint?: string,
  ) {
    super("E_FILE", `${namedBy}: cannot ${what.verb} the ${what.thing} ${file}: ${fileErrorReason(cause)}`, 2, {
      hint,
      cause,
    });
    this.file = file;
  }
}
