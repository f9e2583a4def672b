/**
 * Runs the real CLI (`node bin/cairn.js`) as a child process.
 *
 * The e2e tests exercise the compiled program in dist/, exactly as a user
 * runs it. `npm test` runs `npm run build` first; when running these files
 * directly, build first: `npm run build && npx vitest run test/e2e`.
 */
import { spawn } from "node:child_process";
import { existsSync, statSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const CLI = join(PROJECT_ROOT, "bin", "cairn.js");
const COMPILED_MAIN = join(PROJECT_ROOT, "dist", "src", "cli", "main.js");

export interface CliResult {
  code: number;
  stdout: string;
  /** stdout as raw bytes (for `dump`). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Added to a scrubbed environment (no inherited CAIRN_* variables). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Run as another user, e.g. `["setpriv", "--reuid=nobody", ...]`: a command prefix. */
  prefix?: string[];
  timeoutMs?: number;
}

let buildChecked = false;

/** Fails fast, with the fix, when dist/ is missing; warns when sources are newer than the build. */
export function assertBuilt(): void {
  if (buildChecked) return;
  if (!existsSync(COMPILED_MAIN))
    throw new Error(`${COMPILED_MAIN} is missing: run \`npm run build\` before the e2e tests (npm test does)`);
  const built = statSync(COMPILED_MAIN).mtimeMs;
  const newer = newestMtime(join(PROJECT_ROOT, "src"));
  if (newer > built)
    console.warn("e2e: src/ is newer than dist/; the CLI under test may be stale (run `npm run build`)");
  buildChecked = true;
}

function newestMtime(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return max;
}

/** Environment for the child: the parent's, minus anything that would configure cairn behind the test's back. */
function childEnv(extra: RunOptions["env"]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("CAIRN_") && k !== "XDG_CACHE_HOME") env[k] = v;
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(args: readonly string[], o: RunOptions = {}): Promise<CliResult> {
  assertBuilt();
  const argv = [...(o.prefix ?? []), process.execPath, CLI, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: o.cwd,
      env: childEnv(o.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 30_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({
        code: code ?? (signal ? 128 : -1),
        stdout: stdoutBytes.toString("utf8"),
        stdoutBytes,
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** Runs the CLI and throws, with its output, unless it exits 0. */
export async function cliOk(args: readonly string[], o: RunOptions = {}): Promise<CliResult> {
  const r = await runCli(args, o);
  if (r.code !== 0)
    throw new Error(`cairn ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}
