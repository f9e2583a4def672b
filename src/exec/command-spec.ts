import { parseCommandLine } from "./command-line.js";

/**
 * A command a source runs. `command` is a command line (split into words, no
 * shell, unless `shell`) or an argv. Secrets go in `env` (PGPASSWORD,
 * MYSQL_PWD) or files, never in the command line: the command is logged.
 */
export interface CommandSpec {
  command: string | readonly string[];
  /** Run `command` with /bin/sh -c (pipes, globs, redirections). */
  shell?: boolean;
  /** Added to cairn's environment; never logged. */
  env?: Readonly<Record<string, string>>;
  /** Kill the command (SIGTERM, then SIGKILL) after this long. */
  timeoutSeconds?: number;
  cwd?: string;
}

/** The argv to spawn. */
export function commandArgv(spec: CommandSpec): string[] {
  if (typeof spec.command !== "string") return [...spec.command];
  return spec.shell ? ["/bin/sh", "-c", spec.command] : parseCommandLine(spec.command);
}

/** The command as logs and errors show it (no environment: that is where secrets live). */
export function showCommand(spec: CommandSpec): string {
  if (typeof spec.command === "string") return spec.command;
  return spec.command.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(" ");
}

/** The program's name, for error messages ("pg_dump exited with code 1"). */
export function programName(spec: CommandSpec): string {
  const argv = commandArgv(spec);
  return spec.shell && typeof spec.command === "string" ? "sh" : (argv[0].split("/").at(-1) ?? argv[0]);
}
