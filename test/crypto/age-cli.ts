/** Helpers for running the real `age` CLI in interop tests; absent CLI => those tests skip, visibly. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const hasAgeCli = spawnSync("age", ["--version"]).status === 0;
if (!hasAgeCli) console.warn("age CLI not found: the interop tests that run it are SKIPPED");
export const ageCliSkipNote = hasAgeCli ? "" : " (SKIPPED: `age` CLI not installed; apt-get install age)";

/** `age -d -i <identity file>` on `file`, returning the plaintext. */
export function ageCliDecrypt(file: Uint8Array, identityFileContents: string): Buffer {
  return withTempFile(identityFileContents, (keyFile) =>
    execFileSync("age", ["-d", "-i", keyFile], { input: file, maxBuffer: 64 << 20, stdio: ["pipe", "pipe", "pipe"] }),
  );
}

export function ageCliEncrypt(plaintext: Uint8Array, recipients: readonly string[]): Buffer {
  const args = recipients.flatMap((r) => ["-r", r]);
  return execFileSync("age", args, { input: plaintext, maxBuffer: 64 << 20 });
}

/** `age-keygen` output (comment lines + AGE-SECRET-KEY-1 line). */
export function ageKeygen(): string {
  return execFileSync("age-keygen", { stdio: ["ignore", "pipe", "ignore"] }).toString();
}

export function ageKeygenRecipient(identityFileContents: string): string {
  return withTempFile(identityFileContents, (keyFile) => execFileSync("age-keygen", ["-y", keyFile]).toString().trim());
}

function withTempFile<T>(contents: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "cairn-age-"));
  try {
    const path = join(dir, "key.txt");
    writeFileSync(path, contents, { mode: 0o600 });
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
