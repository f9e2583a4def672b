import { createCipheriv, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  linkSync,
  lchownSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from "node:fs";

/** mulberry32: tiny, fast, good enough for choosing shapes; the seed fully determines a tree. */
export class Prng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Seed for a run: CAIRN_SEED replays one, otherwise a fresh one (printed by the caller). */
export function runSeed(): { seed: number; replay: boolean } {
  const env = process.env.CAIRN_SEED;
  if (env !== undefined && env !== "") return { seed: Number(env) >>> 0, replay: true };
  return { seed: (Math.random() * 2 ** 32) >>> 0, replay: false };
}

/**
 * Deterministic pseudo-random bytes (AES-128-CTR keystream keyed by the
 * seed): fast enough for hundreds of MiB, incompressible, reproducible.
 */
export class ByteStream {
  private readonly cipher;
  constructor(seed: number | string) {
    const key = createHash("sha256").update(`cairn-test-bytes:${seed}`).digest();
    this.cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
  }
  take(n: number): Buffer {
    return this.cipher.update(Buffer.alloc(n));
  }
}

/** Writes `size` pseudo-random bytes to `path` in 8 MiB pieces. */
export function writeRandomFile(path: string | Buffer, size: number, seed: number | string): void {
  const bytes = new ByteStream(seed);
  const fd = openSync(path, "wx", 0o644);
  try {
    for (let done = 0; done < size;) {
      const n = Math.min(8 * 1024 * 1024, size - done);
      const piece = bytes.take(n);
      for (let off = 0; off < n;) off += writeSync(fd, piece, off, n - off);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

const SLASH = Buffer.from("/");
const join = (dir: Buffer, name: Buffer) => Buffer.concat([dir, SLASH, name]);
const isRoot = process.getuid?.() === 0;

/** Names that are legal on Linux but trip up naive code. */
const HOSTILE_NAMES: (string | Buffer)[] = [
  "plain.txt",
  "with space",
  " leading space",
  "trailing space ",
  "new\nline",
  "cr\r\nlf",
  "tab\there",
  "-rf",
  "--help",
  "-",
  ".hidden",
  "...",
  ". ",
  "..a",
  "*?[glob]{a,b}",
  "back\\slash",
  "quote\"'`$HOME~",
  "caf\u00e9", // NFC
  "cafe\u0301", // NFD twin of the above
  "README",
  "readme", // case twin
  "\u{1F4E6}\u{1F525}", // emoji (4-byte UTF-8)
  "\u6587\u4EF6", // CJK
  "\u202Eevil\u202C", // bidi override
  "\u00a0nbsp",
  "x".repeat(255), // NAME_MAX in bytes
  "\u00e9".repeat(127) + "y", // 255 bytes of 2-byte characters
  Buffer.from([0xff, 0xfe, 0x41]), // invalid UTF-8
  Buffer.from([0x80]), // lone continuation byte
  Buffer.from("caf\xe9", "latin1"), // latin-1 e-acute
  Buffer.from([0xc0, 0xaf]), // overlong '/'
  Buffer.from([0xed, 0xa0, 0x80]), // UTF-8-encoded surrogate
  Buffer.from([0x01, 0x1b, 0x5b, 0x33, 0x31, 0x6d]), // control chars / ANSI escape
];

const SYMLINK_TARGETS: (string | Buffer)[] = [
  "/etc/passwd",
  "/nonexistent/dangling",
  "no/such/thing",
  ".",
  "..",
  "../..",
  "target with spaces\nand newline",
  Buffer.from([0x66, 0xff, 0x2f, 0x80, 0x67]), // non-UTF-8 target
  "a/".repeat(500) + "deep", // long (1003 bytes)
  "\u{1F4E6}",
];

const FILE_MODES = [0o644, 0o600, 0o755, 0o640, 0o444, 0o400, 0o000, 0o4755, 0o2755, 0o1644, 0o6711];
const DIR_MODES = [0o755, 0o700, 0o750, 0o555, 0o1777, 0o2775, 0o000, 0o711];
const OWNERS = [0, 1, 1000, 65534, 123456];

export interface RandomTreeOptions {
  /** Bytes for "multi-chunk" files: a few times the chunker's max. */
  bigFileMax: number;
  maxDepth?: number;
  maxEntriesPerDir?: number;
  /** Make at most one fifo per tree (costs a `mkfifo` process). */
  fifo?: boolean;
}

export interface RandomTreeStats {
  files: number;
  dirs: number;
  symlinks: number;
  fifos: number;
  hardlinks: number;
  /** Sum of file sizes, once per path (a hardlinked inode counts once per link, like the summary's bytesTotal). */
  bytes: number;
}

interface Pending {
  path: Buffer;
  kind: "file" | "dir" | "symlink" | "fifo";
  /** Hardlink paths share the first path's metadata: only the first one gets any. */
  skipMeta?: boolean;
}

/**
 * Builds a random tree at `root` (must not exist) from `rng`: nested and empty
 * dirs, empty / small / multi-chunk / all-zero / duplicate files, symlinks of
 * every kind, hardlinks, optionally a fifo, hostile names (twins included),
 * and random modes, owners (as root) and mtimes (incl. before 1970 and after
 * 2038). Metadata is applied deepest first, so directory mtimes stick.
 */
export function makeRandomTree(root: string, rng: Prng, o: RandomTreeOptions): RandomTreeStats {
  const stats: RandomTreeStats = { files: 0, dirs: 0, symlinks: 0, fifos: 0, hardlinks: 0, bytes: 0 };
  const maxDepth = o.maxDepth ?? 3;
  const maxEntries = o.maxEntriesPerDir ?? 8;
  const files: { path: Buffer; size: number }[] = [];
  const order: Pending[] = []; // post-order: children before their directory
  const contents: Buffer[] = [];
  let fifoLeft = o.fifo ? 1 : 0;
  let counter = 0;

  const content = (): Buffer => {
    const r = rng.next();
    if (r < 0.12) return Buffer.alloc(0);
    if (r < 0.2 && contents.length > 0) return rng.pick(contents); // duplicate content: dedup
    if (r < 0.27) return Buffer.alloc(rng.int(1, o.bigFileMax)); // all zeros: restored as holes
    const size = r < 0.75 ? rng.int(1, 4096) : rng.int(o.bigFileMax / 4, o.bigFileMax);
    const b = new ByteStream(`${rng.seed}:${counter++}`).take(size);
    if (rng.chance(0.2) && size > 64) b.fill(0, size >> 2, size >> 1); // zero run inside
    contents.push(b);
    return b;
  };

  const uniqueNames = (n: number): Buffer[] => {
    const out: Buffer[] = [];
    const seen = new Set<string>();
    const add = (b: Buffer) => {
      const k = b.toString("hex");
      if (!seen.has(k)) {
        seen.add(k);
        out.push(b);
      }
    };
    while (out.length < n) {
      const r = rng.next();
      if (r < 0.45) add(Buffer.from(`n${counter++}`));
      else if (r < 0.9) add(Buffer.from(rng.pick(HOSTILE_NAMES)));
      else {
        // A twin pair side by side: NFC/NFD or upper/lower case.
        const pair = rng.chance(0.5) ? ["\u00c5ngstr\u00f6m", "A\u030angstro\u0308m"] : ["Makefile", "makefile"];
        add(Buffer.from(pair[0]));
        add(Buffer.from(pair[1]));
      }
    }
    return out;
  };

  const fill = (dir: Buffer, depth: number): void => {
    const n = rng.int(0, maxEntries);
    for (const name of uniqueNames(n)) {
      const path = join(dir, name);
      const r = rng.next();
      if (r < 0.2 && depth < maxDepth) {
        mkdirSync(path);
        stats.dirs++;
        fill(path, depth + 1);
        order.push({ path, kind: "dir" });
      } else if (r < 0.27) {
        mkdirSync(path); // empty dir
        stats.dirs++;
        order.push({ path, kind: "dir" });
      } else if (r < 0.42) {
        symlinkSync(rng.chance(0.15) ? name : rng.pick(SYMLINK_TARGETS), path); // 15%: a link to itself (loop)
        stats.symlinks++;
        order.push({ path, kind: "symlink" });
      } else if (r < 0.5 && files.length > 0) {
        const first = rng.pick(files);
        linkSync(first.path, path);
        stats.files++;
        stats.bytes += first.size;
        stats.hardlinks++;
        order.push({ path, kind: "file", skipMeta: true });
      } else if (r < 0.53 && fifoLeft > 0 && path.toString("utf8") === path.toString("latin1")) {
        // mkfifo takes the path as a string: only plain-ASCII paths (parents included) survive the trip.
        fifoLeft--;
        execFileSync("mkfifo", [path.toString("utf8")]);
        stats.fifos++;
        order.push({ path, kind: "fifo" });
      } else {
        const bytes = content();
        const fd = openSync(path, "wx", 0o600);
        for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
        closeSync(fd);
        files.push({ path, size: bytes.length });
        stats.files++;
        stats.bytes += bytes.length;
        order.push({ path, kind: "file" });
      }
    }
  };

  const rootBuf = Buffer.from(root);
  mkdirSync(rootBuf);
  stats.dirs++;
  fill(rootBuf, 1);
  order.push({ path: rootBuf, kind: "dir" });

  for (const p of order) {
    if (p.skipMeta) continue;
    const mtime = randomMtime(rng);
    if (isRoot) lchownSync(p.path, rng.pick(OWNERS), rng.pick(OWNERS));
    // chown clears setuid/setgid: mode after owner.
    if (p.kind === "file") chmodSync(p.path, rng.pick(FILE_MODES));
    else if (p.kind === "dir") chmodSync(p.path, p.path === rootBuf ? 0o755 : rng.pick(DIR_MODES));
    else if (p.kind === "fifo") chmodSync(p.path, rng.pick([0o644, 0o600, 0o666]));
    // As a string: Node replaces a negative number by the current time.
    lutimesSync(p.path, String(mtime), String(mtime));
  }
  return stats;
}

/** Float seconds at microsecond granularity: ordinary, integral, pre-1970, post-2038. */
function randomMtime(rng: Prng): number {
  const r = rng.next();
  const us = rng.int(0, 999_999) / 1e6;
  if (r < 0.1) return rng.int(1, 2_000_000_000); // whole seconds
  if (r < 0.2) return -rng.int(1, 1_000_000_000) + us; // before 1970
  if (r < 0.3) return rng.int(2 ** 31, 2 ** 32) + us; // after 2038
  return rng.int(1_000_000_000, 1_800_000_000) + us;
}
