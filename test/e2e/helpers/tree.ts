/**
 * Sample source trees and a byte-exact description of a directory tree, for
 * comparing what was backed up with what was restored.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  lstat,
  lutimes,
  mkdir,
  readdir,
  readFile,
  readlink,
  symlink,
  utimes,
  writeFile,
  chmod,
} from "node:fs/promises";
import { join } from "node:path";

export interface EntryDesc {
  type: "file" | "dir" | "symlink" | "other";
  /** Permission bits and setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in microseconds: what restore can reproduce (FORMAT.md; Node truncates to µs). */
  mtimeUs: bigint;
  size?: number;
  sha256?: string;
  target?: string;
}

/** Every entry under `root` (root itself as "."), keyed by relative path. */
export async function describeTree(root: string): Promise<Record<string, EntryDesc>> {
  const out: Record<string, EntryDesc> = {};
  async function visit(abs: string, rel: string): Promise<void> {
    const st = await lstat(abs, { bigint: true });
    const d: EntryDesc = {
      type: st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other",
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeUs: st.mtimeNs / 1000n,
    };
    if (d.type === "file") {
      const bytes = await readFile(abs);
      d.size = bytes.length;
      d.sha256 = createHash("sha256").update(bytes).digest("hex");
    }
    if (d.type === "symlink") {
      d.target = await readlink(abs);
      // A symlink's own permission bits are not meaningful on Linux.
      d.mode = 0;
    }
    out[rel] = d;
    if (d.type === "dir")
      for (const name of (await readdir(abs)).sort())
        await visit(join(abs, name), rel === "." ? name : `${rel}/${name}`);
  }
  await visit(root, ".");
  return out;
}

/** Seconds with a fractional microsecond part, so µs precision is really tested. */
const T = (s: number, us: number): number => s + us / 1e6;

/**
 * A small tree covering what a user relies on: nested dirs with odd modes,
 * an executable, an empty file, an empty dir, a relative and a dangling
 * symlink, a multi-chunk random file, and explicit µs-precision mtimes.
 * Returns the relative paths of the interesting files.
 */
export async function writeSampleTree(root: string): Promise<{ big: string; text: string }> {
  await mkdir(join(root, "docs", "notes"), { recursive: true });
  await mkdir(join(root, "empty-dir"));
  await mkdir(join(root, "private"));
  await writeFile(
    join(root, "docs", "readme.txt"),
    "cairn e2e: these bytes travel encrypted and come back intact.\n".repeat(300),
  );
  await writeFile(join(root, "docs", "notes", "empty"), "");
  await writeFile(join(root, "run.sh"), "#!/bin/sh\necho hello\n");
  await chmod(join(root, "run.sh"), 0o755);
  await writeFile(join(root, "private", "secret.txt"), "only the owner\n");
  await chmod(join(root, "private", "secret.txt"), 0o600);
  await chmod(join(root, "private"), 0o750);
  // Random, so it does not compress or dedup; large enough for several chunks (min 512 KiB).
  await writeFile(join(root, "big.bin"), randomBytes(2_500_000));
  await symlink("docs/readme.txt", join(root, "link-to-readme"));
  await symlink("../nowhere/at/all", join(root, "docs", "dangling"));
  await utimes(join(root, "docs", "readme.txt"), T(1_700_000_000, 123_456), T(1_700_000_000, 123_456));
  await utimes(join(root, "run.sh"), T(1_600_000_000, 999_999), T(1_600_000_000, 999_999));
  await utimes(join(root, "docs", "notes", "empty"), T(1_500_000_000, 1), T(1_500_000_000, 1));
  await lutimes(join(root, "link-to-readme"), T(1_650_000_000, 654_321), T(1_650_000_000, 654_321));
  // Directories last: creating entries above would change their mtimes.
  await utimes(join(root, "docs", "notes"), T(1_400_000_000, 500_000), T(1_400_000_000, 500_000));
  await utimes(join(root, "empty-dir"), T(1_410_000_000, 42), T(1_410_000_000, 42));
  return { big: "big.bin", text: "docs/readme.txt" };
}
