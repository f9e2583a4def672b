/**
 * podman as the container tests use it: every call with the containers.conf
 * scripts/container/setup.sh wrote (runtime, cgroup manager, ulimits for this
 * host: docs/CONTAINER.md §Testing the image), output captured, and a failure
 * reported with the command and its stderr.
 */
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/**
 * podman's working directory: on this host's cgroup v1, conmon writes its OOM marker file
 * (`oom`) into the current directory, which would otherwise be the checkout.
 */
const scratch = join(import.meta.dirname, "..", "..", ".tmp", "container");

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The containers.conf to use; the tests refuse to run without it rather than use the host's defaults. */
export function containersConf(): string {
  const conf = process.env.CONTAINERS_CONF;
  if (!conf)
    throw new Error(
      "CONTAINERS_CONF is not set: run the container tests with `npm run test:container` (scripts/container/test.sh), " +
        "which installs podman, writes the config and builds the stand-in base images",
    );
  return conf;
}

/** Runs `podman args`; resolves with its exit code and output whatever the code. */
export function podmanRun(args: string[], timeoutMs = 600_000): Promise<PodmanResult> {
  mkdirSync(scratch, { recursive: true });
  return new Promise((resolve, reject) => {
    execFile(
      "podman",
      args,
      {
        cwd: scratch,
        env: { ...process.env, CONTAINERS_CONF: containersConf() },
        maxBuffer: 256 * 1024 * 1024,
        timeout: timeoutMs,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        if (err && code === -1) reject(new Error(`podman ${args.join(" ")}: ${err.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `podman args` and returns its stdout; a non-zero exit throws with the command and stderr. */
export async function podman(args: string[], timeoutMs?: number): Promise<string> {
  const r = await podmanRun(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

/** `podman image inspect` of one image, the fields the tests read. */
export interface ImageInfo {
  Size: number;
  Healthcheck?: { Test?: string[] };
  Config: {
    User?: string;
    Entrypoint?: string[];
    Cmd?: string[];
    Env?: string[];
    Labels?: Record<string, string>;
    ExposedPorts?: Record<string, unknown>;
  };
}

export async function inspectImage(image: string): Promise<ImageInfo> {
  return (JSON.parse(await podman(["image", "inspect", image])) as ImageInfo[])[0]!;
}
