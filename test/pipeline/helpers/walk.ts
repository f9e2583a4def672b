import { createHash } from "node:crypto";
import { lstatSync, openSync, readSync, closeSync, readdirSync, readlinkSync, type BigIntStats } from "node:fs";

/** One entry of a walked tree, everything restore promises to reproduce. */
export interface WalkedEntry {
  /** Path below the walk root as hex-escaped bytes ("" for the root itself). */
  path: string;
  type: "file" | "dir" | "symlink" | "fifo" | "socket" | "chardev" | "blockdev";
  mode: number;
  uid: number;
  gid: number;
  /** Microseconds: Node cannot set nanoseconds, restore promises microsecond precision. */
  mtimeUs: bigint;
  size?: number;
  sha256?: string;
  /** Symlink target bytes, hex. */
  target?: string;
  /** Directory entry names in byte order, hex (also catches extra scratch entries). */
  children?: string[];
}

export interface WalkedTree {
  entries: Map<string, WalkedEntry>;
  /** Hardlink groups: sorted path lists of regular files sharing an inode, sorted. */
  hardlinks: string[][];
}

const SLASH = Buffer.from("/");

/**
 * Readable, unambiguous rendering of raw name bytes: printable ASCII as is
 * (except `\` and `/`), everything else `\xNN`. Distinct byte strings stay distinct.
 */
export function showBytes(b: Buffer): string {
  let s = "";
  for (const c of b)
    s +=
      c >= 0x20 && c < 0x7f && c !== 0x5c && c !== 0x2f
        ? String.fromCharCode(c)
        : `\\x${c.toString(16).padStart(2, "0")}`;
  return s;
}

export function typeOf(st: BigIntStats): WalkedEntry["type"] {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice()) return "chardev";
  return "blockdev";
}

/** SHA-256 of a file read in 1 MiB pieces (never whole). */
export function hashFile(path: Buffer | string): string {
  const h = createHash("sha256");
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(1024 * 1024);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

/**
 * Walks `root` with Buffer names (so non-UTF-8 names survive), never following
 * symlinks, and records types, bytes, targets, modes, owners, µs mtimes and
 * hardlink groups. Two trees are equal exactly when their walks are deep-equal.
 */
export function walkTree(root: string | Buffer): WalkedTree {
  const entries = new Map<string, WalkedEntry>();
  const inodes = new Map<string, string[]>();
  const visit = (abs: Buffer, rel: string): void => {
    const st = lstatSync(abs, { bigint: true });
    const type = typeOf(st);
    const e: WalkedEntry = {
      path: rel,
      type,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeUs: floorDiv(st.mtimeNs, 1000n),
    };
    entries.set(rel, e);
    if (type === "file") {
      e.size = Number(st.size);
      e.sha256 = hashFile(abs);
      if (st.nlink > 1n) {
        const k = `${st.dev}:${st.ino}`;
        inodes.set(k, [...(inodes.get(k) ?? []), rel]);
      }
    } else if (type === "symlink") {
      e.target = readlinkSync(abs, { encoding: "buffer" }).toString("hex");
    } else if (type === "dir") {
      const names = readdirSync(abs, { encoding: "buffer" }).sort(Buffer.compare);
      e.children = names.map((n) => n.toString("hex"));
      for (const n of names) visit(Buffer.concat([abs, SLASH, n]), `${rel}/${showBytes(n)}`);
    }
  };
  visit(Buffer.isBuffer(root) ? root : Buffer.from(root), "");
  const hardlinks = [...inodes.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort())
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { entries, hardlinks };
}

/** Floor division for bigint (mtimes before 1970 are negative). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Human-readable differences between two walks (empty when equal); at most `limit` lines. */
export function diffTrees(expected: WalkedTree, actual: WalkedTree, limit = 40): string[] {
  const out: string[] = [];
  for (const [p, e] of expected.entries) {
    const a = actual.entries.get(p);
    if (!a) {
      out.push(`missing: ${p || "/"} (${e.type})`);
      continue;
    }
    for (const k of Object.keys(e) as (keyof WalkedEntry)[]) {
      const ev = JSON.stringify(e[k], big);
      const av = JSON.stringify(a[k], big);
      if (ev !== av) out.push(`${p || "/"}: ${k} expected ${ev} got ${av}`);
    }
  }
  for (const [p, a] of actual.entries) if (!expected.entries.has(p)) out.push(`extra: ${p || "/"} (${a.type})`);
  const eh = JSON.stringify(expected.hardlinks);
  const ah = JSON.stringify(actual.hardlinks);
  if (eh !== ah) out.push(`hardlink groups: expected ${eh} got ${ah}`);
  return out.slice(0, limit);
}

function big(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}
