// The s3rver target of `npm run bench`: the same backup and restore
// through S3 (s3rver on 127.0.0.1, started here) next to the local numbers.
// BENCH_S3=0 skips it. s3rver is an emulator writing to the local disk, so the
// ratio shows cairn's S3 path (HTTP, signing, MD5, buffering) and s3rver's own
// cost, not a network.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

function startS3rver(root, dir) {
  const child = spawn(process.execPath, [join(root, "test", "helpers", "s3rver-main.mjs"), dir, "bench"], {
    env: { ...process.env, NODE_OPTIONS: "--openssl-legacy-provider" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ endpoint: `http://127.0.0.1:${m[1]}`, stop: () => child.kill("SIGTERM") });
    });
    child.on("exit", (code) => reject(new Error(`s3rver exited ${code}`)));
  });
}

export async function benchS3({ root, dir, data, bytes, run, recipient, local }) {
  mkdirSync(join(dir, "s3rver"), { recursive: true });
  const s3 = await startS3rver(root, join(dir, "s3rver"));
  try {
    const env = {
      CAIRN_REPO: "s3://bench/repo",
      CAIRN_AGENT_KEY_FILE: join(dir, "agent-s3.key"),
      CAIRN_IDENTITY_FILE: join(dir, "id.txt"),
      CAIRN_CACHE_DIR: join(dir, "cache-s3"),
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    run("init-s3", ["init", "--recipient", recipient], env);
    const full = run("backup-s3", ["backup", data], env);
    const restore = run("restore-s3", ["restore", "latest", "--target", join(dir, "restore-s3")], env);
    const mb = (n) => (n / 1e6).toFixed(1);
    const row = (name, b, r) =>
      `| ${name} | ${b.secs.toFixed(2)} | ${mb(bytes / b.secs)} | ${r.secs.toFixed(2)} | ${mb(bytes / r.secs)} |`;
    console.log("");
    console.log("| backend | backup s | backup MB/s | restore s | restore MB/s |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    console.log(row("local", local.full, local.restore));
    console.log(row("s3 (s3rver, 127.0.0.1)", full, restore));
    console.log(
      `s3 / local time: backup ${(full.secs / local.full.secs).toFixed(2)}x, restore ${(restore.secs / local.restore.secs).toFixed(2)}x`,
    );
  } finally {
    s3.stop();
  }
}
