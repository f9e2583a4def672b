/**
 * Starts the storage emulators the S3 and Azure tests talk to: s3rver and
 * azurite from node_modules, each in a child process on a free 127.0.0.1 port
 * (the OS picks it: port 0), with a temporary data directory. Nothing listens
 * beyond loopback and azurite's telemetry is off. `stop()` kills the process
 * and removes the directory; call it in afterAll.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

export const S3_TEST_BUCKET = "cairn-test";
/** s3rver accepts exactly this key pair (its defaults). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

// azurite's well-known development account (public, documented by Microsoft).
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const require = createRequire(import.meta.url);
const S3RVER_MAIN = fileURLToPath(new URL("./s3rver-main.mjs", import.meta.url));
const AZURITE_MAIN = join(dirname(require.resolve("azurite/package.json")), "dist/src/blob/main.js");

/** s3rver with `buckets` created. Env for the child: --openssl-legacy-provider (Node 20, ListObjectsV2 paging). */
export async function startS3rver(buckets: string[] = [S3_TEST_BUCKET]): Promise<Emulator> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-s3rver-"));
  const child = spawn(process.execPath, [S3RVER_MAIN, dir, ...buckets], {
    env: { ...process.env, NODE_OPTIONS: "--openssl-legacy-provider" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const port = await waitForLine(child, /^listening (\d+)$/m, "s3rver");
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child, dir) };
}

export interface AzuriteEmulator extends Emulator {
  connectionString: string;
}

/** azurite's blob service (loose mode off, API version check skipped for newer SDKs). */
export async function startAzurite(): Promise<AzuriteEmulator> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-azurite-"));
  const args = [
    AZURITE_MAIN,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    "0",
    "--location",
    dir,
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--silent",
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NODE_OPTIONS: "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const port = await waitForLine(child, /listens on http:\/\/127\.0\.0\.1:(\d+)/, "azurite");
  const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    endpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`,
    stop: () => stopChild(child, dir),
  };
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error(`${what} did not start within 30 s: ${out}${err}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(e);
    };
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => fail(new Error(`${what} exited with ${code} before listening: ${out}${err}`)));
  });
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await rm(dir, { recursive: true, force: true });
}
