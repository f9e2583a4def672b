/**
 * tools/recover.py ("recover without cairn", docs/FORMAT.md §Recovering without cairn): a tricky tree backed up
 * with the built CLI is restored by cairn and by recover.py (Python, `age`,
 * `zstd`, nothing of cairn), and the two trees must be identical byte for
 * byte: content, type, mode, mtime, symlink targets, hardlink identity, names
 * that are not UTF-8. Then the ways a repository can be damaged or hostile: a
 * flipped byte in a pack (named; files before it salvaged, the rest
 * restored), every index file lost (pack trailers), packs only a prune mark
 * lists, a damaged snapshot record, and a crafted snapshot whose names try to
 * escape the target (refused exactly as cairn refuses them).
 *
 * The repository is created through the library with tiny chunker and pack
 * sizes (the CLI's `init` has no such options), so a few hundred KiB give
 * many chunks spread over many packs; backup and restore use the CLI.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  cpSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  lutimesSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
  ftruncateSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { generateIdentity, type AgeIdentity } from "../../src/crypto/age-keys.js";
import { Repository } from "../../src/repository/repository.js";
import { listTree } from "../../src/restore/list-tree.js";
import { LocalStorage } from "../../src/storage/local/local-storage.js";
import { BlobType, type BlobId } from "../../src/core/ids.js";
import { encodeTree } from "../../src/repository/format/tree-codec.js";
import { encodeSkeleton } from "../../src/repository/format/skeleton.js";
import type { TreeNode } from "../../src/repository/format/tree.js";
import { cliOk, PROJECT_ROOT, runCli } from "../e2e/helpers/run-cli.js";
import { putObject, putSealedIndex } from "../e2e/helpers/damage-repo.js";
import { openIndex } from "../../src/repository/format/index-file.js";
import { wordyText } from "../helpers/wordy-text.js";

const RECOVER = join(PROJECT_ROOT, "tools", "recover.py");
const B = (s: string): Buffer => Buffer.from(s, "utf8");
const bjoin = (...parts: (Buffer | string)[]): Buffer =>
  Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [B("/"), Buffer.from(p)])));
/** A file name that is not valid UTF-8: cairn stores it as nameB64. */
const LATIN1_NAME = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2d, 0xff, 0x2e, 0x74, 0x78, 0x74]); // "caf\xe9-\xff.txt"

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function recover(args: string[]): Run {
  const r = spawnSync("python3", [RECOVER, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Seconds with a microsecond fraction (utimes cannot set finer from Node). */
const T = (s: number, us: number): number => s + us / 1e6;

/** The tree users rely on, with the awkward cases; returns nothing, the comparison finds everything. */
function writeTrickyTree(src: string): void {
  mkdirSync(join(src, "docs", "deep", "er"), { recursive: true });
  mkdirSync(join(src, "empty dir"));
  mkdirSync(join(src, "locked"));
  writeFileSync(join(src, "docs", "readme.txt"), wordyText(5_000));
  writeFileSync(join(src, "docs", "deep", "er", "leaf"), "deep\n");
  writeFileSync(join(src, "with space.txt"), "spaces\n");
  writeFileSync(join(src, "new\nline"), "a newline in the name\n");
  writeFileSync(join(src, "-leading-dash"), "looks like an option\n");
  writeFileSync(join(src, "ünïcødé 名前 🎉.txt"), "unicode\n");
  writeFileSync(bjoin(src, LATIN1_NAME), "not utf-8 named\n");
  writeFileSync(join(src, "empty"), "");
  writeFileSync(join(src, "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(src, "run.sh"), 0o755);
  writeFileSync(join(src, "locked", "secret"), "owner only\n");
  chmodSync(join(src, "locked", "secret"), 0o600);
  chmodSync(join(src, "empty dir"), 0o700);
  chmodSync(join(src, "locked"), 0o750);
  // Many chunks (tiny chunker) over several packs: random (stored raw) and compressible (zstd frames).
  writeFileSync(join(src, "random.bin"), randomBytes(400_000));
  writeFileSync(join(src, "docs", "words.txt"), wordyText(300_000));
  // Sparse-ish: zeros, some data, zeros; the zero chunks are all-zero blobs that restore as holes.
  const fd = openSync(join(src, "sparse.img"), "w");
  writeSync(fd, randomBytes(3000), 0, 3000, 200_000);
  ftruncateSync(fd, 600_000);
  closeSync(fd);
  // A hardlink pair in two directories.
  writeFileSync(join(src, "docs", "linked"), "one inode, two names\n");
  linkSync(join(src, "docs", "linked"), join(src, "also-linked"));
  const fifo = spawnSync("mkfifo", [join(src, "docs", "pipe")]);
  if (fifo.status !== 0) throw new Error(`mkfifo failed: ${String(fifo.stderr)}`);
  symlinkSync("docs/readme.txt", join(src, "link-to-readme"));
  symlinkSync("../nowhere/at/all", join(src, "docs", "dangling"));
  symlinkSync("docs", join(src, "link-to-dir"));
  symlinkSync(Buffer.concat([B("target-"), LATIN1_NAME]), join(src, "link-non-utf8"));
  utimesSync(join(src, "docs", "readme.txt"), T(1_700_000_000, 123_456), T(1_700_000_000, 123_456));
  utimesSync(join(src, "run.sh"), T(1_600_000_000, 999_999), T(1_600_000_000, 999_999));
  utimesSync(join(src, "empty"), T(1_500_000_000, 1), T(1_500_000_000, 1));
  lutimesSync(join(src, "link-to-readme"), T(1_650_000_000, 654_321), T(1_650_000_000, 654_321));
  // Directories last: creating entries changes their mtimes.
  utimesSync(join(src, "docs", "deep"), T(1_400_000_000, 500_000), T(1_400_000_000, 500_000));
  utimesSync(join(src, "empty dir"), T(1_410_000_000, 42), T(1_410_000_000, 42));
}

/** Undo cairn's display escaping of one name (`\\xNN` for bytes that are not printable UTF-8; `\\` itself is escaped, so this is exact). */
function rawOfDisplay(component: string): Buffer {
  const parts = component.split(/(\\x[0-9a-f]{2})/);
  return Buffer.concat(parts.map((s) => (/^\\x[0-9a-f]{2}$/.test(s) ? Buffer.from([parseInt(s.slice(2), 16)]) : B(s))));
}

interface Desc {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  size?: number;
  sha256?: string;
  target?: string;
  /** Blocks actually allocated, for the sparse check. */
  blocks?: bigint;
  ino: bigint;
  nlink: bigint;
}

/** Every entry under `root` keyed by its path as hex-escaped raw bytes (non-UTF-8 names survive). */
function describeTree(root: Buffer): Map<string, Desc> {
  const out = new Map<string, Desc>();
  const visit = (abs: Buffer, rel: string): void => {
    const st = lstatSync(abs, { bigint: true });
    const type = st.isFile()
      ? "file"
      : st.isDirectory()
        ? "dir"
        : st.isSymbolicLink()
          ? "symlink"
          : st.isFIFO()
            ? "fifo"
            : "other";
    const d: Desc = {
      type,
      mode: type === "symlink" ? 0 : Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeNs: st.mtimeNs,
      ino: st.ino,
      nlink: st.nlink,
    };
    if (type === "file") {
      const bytes = readFileSync(abs);
      d.size = bytes.length;
      d.sha256 = createHash("sha256").update(bytes).digest("hex");
      d.blocks = st.blocks;
    }
    if (type === "symlink") d.target = readlinkSync(abs, { encoding: "buffer" }).toString("hex");
    out.set(rel, d);
    if (type === "dir") {
      for (const name of readdirSync(abs, { encoding: "buffer" }).sort(Buffer.compare))
        visit(bjoin(abs, name), `${rel}/${name.toString("hex")}`);
    }
  };
  visit(root, ".");
  return out;
}

/** Hardlink groups as sets of relative paths (only entries with nlink > 1). */
function linkGroups(d: Map<string, Desc>): string[][] {
  const byIno = new Map<bigint, string[]>();
  for (const [p, e] of d) if (e.type === "file" && e.nlink > 1n) byIno.set(e.ino, [...(byIno.get(e.ino) ?? []), p]);
  return [...byIno.values()].map((g) => g.sort()).sort();
}

/** What must be equal between two restores: everything but inode numbers, allocated blocks, and mtimes finer than `precisionNs`. */
function comparable(d: Map<string, Desc>, precisionNs: bigint): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [p, e] of d) {
    if (p === ".") continue; // the target directory itself is not part of the snapshot
    out[p] = {
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtime: (e.mtimeNs / precisionNs).toString(),
      size: e.size,
      sha256: e.sha256,
      target: e.target,
    };
  }
  return out;
}

describe("tools/recover.py", () => {
  let dir: string;
  let repoDir: string;
  let identityFile: string;
  let identity: AgeIdentity;
  let src: string;
  let snapshotId: string;
  let cairnTree: Map<string, Desc>;
  let agentKey: AgentKey;
  const flags = (): string[] => ["--repo", repoDir, "--cache-dir", join(dir, "cache")];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cairn-recover-"));
    repoDir = join(dir, "repo");
    src = join(dir, "src");
    mkdirSync(src);
    identity = generateIdentity();
    identityFile = join(dir, "id.txt");
    writeFileSync(identityFile, `# test identity\n${identity.toString()}\n`, { mode: 0o600 });
    agentKey = AgentKey.generate();
    writeFileSync(join(dir, "agent.key"), agentKey.toFileContents(), { mode: 0o600 });
    await Repository.init(new LocalStorage(repoDir), {
      recipients: [identity.recipient],
      agentKey,
      chunker: { min: 2048, avg: 8192, max: 32768 },
      packSize: 64 * 1024,
    });
    writeTrickyTree(src);
    const backup = await cliOk([
      "backup",
      ...flags(),
      "--agent-key-file",
      join(dir, "agent.key"),
      "--json",
      "--tag",
      "drill",
      src,
    ]);
    snapshotId = (backup.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; snapshot?: string })
      .find((l) => l.type === "summary")?.snapshot ?? "") as string;
    expect(snapshotId).toMatch(/^[0-9a-f]{64}$/);
    await cliOk(["restore", ...flags(), "--identity", identityFile, "latest", "--target", join(dir, "by-cairn")]);
    cairnTree = describeTree(B(join(dir, "by-cairn")));
  });

  afterAll(() => {
    if (dir && !process.env.CAIRN_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });

  it("lists the snapshot with its id, host, paths and tags, as text and as JSON", () => {
    const text = recover(["--repo", repoDir, "--identity", identityFile, "snapshots"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(snapshotId.slice(0, 8));
    expect(text.stdout).toContain(src);
    expect(text.stdout).toContain("[drill]");
    const json = recover(["--repo", repoDir, "--identity", identityFile, "snapshots", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout) as {
      id: string;
      paths: string[];
      tags: string[];
      host: string;
      time: string;
    }[];
    expect(list.map((s) => [s.id, s.paths, s.tags])).toEqual([[snapshotId, [src], ["drill"]]]);
    expect(list[0].time).toMatch(/Z$/);
  });

  it("restores the tree exactly as cairn does, mtimes to the nanosecond, hardlinks and holes included", () => {
    const target = join(dir, "by-recover");
    const r = recover(["--repo", repoDir, "--identity", identityFile, "restore", snapshotId.slice(0, 12), target]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const ours = describeTree(B(target));
    // cairn restores mtimes to the microsecond (Node's limit); recover.py to the nanosecond.
    expect(comparable(ours, 1000n)).toEqual(comparable(cairnTree, 1000n));
    expect(linkGroups(ours)).toEqual(linkGroups(cairnTree));
    expect(linkGroups(ours)).toHaveLength(1);
    // Against the source itself: every entry under the backed-up path, with exact nanosecond mtimes.
    const rel = (d: Map<string, Desc>, under: string) =>
      new Map([...d].filter(([p]) => p.startsWith(under)).map(([p, e]) => [p.slice(under.length), e]));
    const srcHex = src
      .split("/")
      .filter(Boolean)
      .map((c) => B(c).toString("hex"))
      .join("/");
    const source = describeTree(B(src));
    const restored = rel(ours, `./${srcHex}`);
    expect(comparable(restored, 1n)).toEqual(comparable(new Map([...source].map(([p, e]) => [p.slice(1), e])), 1n));
    expect(restored.get(`/${LATIN1_NAME.toString("hex")}`)?.sha256).toBe(
      createHash("sha256").update("not utf-8 named\n").digest("hex"),
    );
    // Holes where cheap: a file system that made the source sparse gets a sparse restore too.
    const sparse = `/${B("sparse.img").toString("hex")}`;
    const srcSparse = source.get(`.${sparse}`)!;
    if (srcSparse.blocks! * 512n < 600_000n) expect(restored.get(sparse)!.blocks! * 512n).toBeLessThan(600_000n);
  });

  it("restores only the --include paths and their parent directories, like cairn", async () => {
    const include = `${src}/docs`;
    await cliOk([
      "restore",
      ...flags(),
      "--identity",
      identityFile,
      snapshotId,
      "--target",
      join(dir, "inc-cairn"),
      "--include",
      include,
    ]);
    const r = recover([
      "--repo",
      repoDir,
      "--identity",
      identityFile,
      "restore",
      snapshotId,
      join(dir, "inc-recover"),
      "--include",
      include,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const ours = comparable(describeTree(B(join(dir, "inc-recover"))), 1000n);
    expect(ours).toEqual(comparable(describeTree(B(join(dir, "inc-cairn"))), 1000n));
    expect(Object.keys(ours).some((p) => p.endsWith(B("random.bin").toString("hex")))).toBe(false);
    expect(Object.keys(ours).some((p) => p.endsWith(B("words.txt").toString("hex")))).toBe(true);
  });

  it("names a damaged pack, salvages the files stored before the damage, restores the rest, and exits 1", async () => {
    const damaged = join(dir, "repo-damaged");
    cpSync(repoDir, damaged, { recursive: true });
    // Where every file's blobs are, through cairn's own index.
    const repo = await Repository.open(new LocalStorage(repoDir), { identities: [identity] });
    const snap = await repo.findSnapshot(snapshotId);
    const index = (await repo.maintenance().loadIndex()).blobs;
    const files: { path: string; locs: { pack: number; end: number }[] }[] = [];
    for await (const e of listTree(repo, snap.tree as BlobId)) {
      if (e.node.type !== "file") continue;
      const locs = (e.node.content ?? [])
        .map((id) => index.get(id)!)
        .map((l) => ({ pack: l.packIndex, end: l.offset + l.length }));
      files.push({ path: e.path, locs });
    }
    // Damage one age STREAM chunk (64 KiB of plaintext, 65552 bytes sealed) of a data pack, chosen so that some
    // file is lost (a blob at or after the chunk) and some other file of that pack lies wholly before it (salvaged).
    const inPack = (pack: number) => files.filter((f) => f.locs.some((l) => l.pack === pack));
    const lostAt = (pack: number, chunk: number) =>
      new Set(
        inPack(pack)
          .filter((f) => f.locs.some((l) => l.pack === pack && l.end > chunk * 65536))
          .map((f) => f.path),
      );
    let choice: { pack: number; chunk: number; lost: Set<string> } | undefined;
    for (const pack of new Set(files.flatMap((f) => f.locs.map((l) => l.pack)))) {
      const chunks = Math.ceil(
        Math.max(...inPack(pack).flatMap((f) => f.locs.filter((l) => l.pack === pack).map((l) => l.end))) / 65536,
      );
      for (let chunk = chunks - 1; chunk >= 1 && !choice; chunk--) {
        const lost = lostAt(pack, chunk);
        if (lost.size > 0 && lost.size < inPack(pack).length) choice = { pack, chunk, lost };
      }
    }
    if (!choice)
      throw new Error(
        "no data pack holds blobs of two files in different STREAM chunks; the tree or pack size changed",
      );
    const { lost } = choice;
    const salvaged = inPack(choice.pack)
      .map((f) => f.path)
      .filter((p) => !lost.has(p));
    const pack = index.pack(choice.pack);
    const key = `data/${pack.id.slice(0, 2)}/${pack.id}`;
    const bytes = readFileSync(join(damaged, key));
    bytes[pack.headerLength + 16 + choice.chunk * 65552 + 10] ^= 0x01;
    writeFileSync(join(damaged, key), bytes);
    await repo.close();
    expect(salvaged.length).toBeGreaterThan(0);

    const target = join(dir, "from-damaged");
    const r = recover(["--repo", damaged, "--identity", identityFile, "restore", snapshotId, target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`damaged: ${key}: `);
    const errorPaths = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("error: "))
      .map((l) => l.slice("error: ".length).split(": ")[0]);
    // Hardlinked names of a lost file are all lost; display paths escape the newline name, so compare sets of what cairn's listing says.
    expect(new Set(errorPaths)).toEqual(lost);
    const ours = comparable(describeTree(B(target)), 1000n);
    const clean = comparable(cairnTree, 1000n);
    const lostHex = new Set(
      [...lost].map(
        (p) =>
          `.${p
            .split("/")
            .map((c) => rawOfDisplay(c).toString("hex"))
            .join("/")}`,
      ),
    );
    for (const [p, e] of Object.entries(clean)) {
      if (lostHex.has(p)) expect(ours[p], p).toBeUndefined();
      else expect(ours[p], p).toEqual(e);
    }
  });

  it("restores everything from the pack trailers when every index file is lost", () => {
    const noIndex = join(dir, "repo-no-index");
    cpSync(repoDir, noIndex, { recursive: true });
    rmSync(join(noIndex, "index"), { recursive: true });
    const target = join(dir, "from-trailers");
    const r = recover(["--repo", noIndex, "--identity", identityFile, "restore", snapshotId, target]);
    expect(r.code, r.stderr).toBe(0);
    expect(comparable(describeTree(B(target)), 1000n)).toEqual(comparable(cairnTree, 1000n));
  });

  it("restores from packs a prune condemned but has not deleted yet (listed only in the prune mark)", async () => {
    // A backup that committed during a prune's grace period: its record appears after the prune condemned every pack.
    const pruned = join(dir, "repo-pruned");
    cpSync(repoDir, pruned, { recursive: true });
    // Store times an hour back, so every pack is past the grace period whenever this runs.
    const anHourAgo = Date.now() / 1000 - 3600;
    for (const f of readdirSync(pruned, { recursive: true, encoding: "utf8" }))
      utimesSync(join(pruned, f), anHourAgo, anHourAgo);
    const record = readFileSync(join(pruned, "snapshots", snapshotId));
    rmSync(join(pruned, "snapshots", snapshotId));
    await cliOk([
      "prune",
      "--repo",
      pruned,
      "--cache-dir",
      join(dir, "cache"),
      "--agent-key-file",
      join(dir, "agent.key"),
      "--grace",
      "1s",
      "--force",
    ]);
    expect(readdirSync(join(pruned, "prune"))).toHaveLength(1);
    expect(readdirSync(join(pruned, "index"))).toEqual([]);
    writeFileSync(join(pruned, "snapshots", snapshotId), record);
    const target = join(dir, "from-condemned");
    const r = recover(["--repo", pruned, "--identity", identityFile, "restore", snapshotId, target]);
    expect(r.code, r.stderr).toBe(0);
    expect(comparable(describeTree(B(target)), 1000n)).toEqual(comparable(cairnTree, 1000n));
  });

  it("skips an index file with a row out of range and passes stray objects by, by the rules cairn applies", () => {
    // docs/FORMAT.md §Index, Decoding rules and §Layout, Stray objects: the same rules as src/repository/format/pack-row.ts.
    const copy = join(dir, "repo-hostile");
    cpSync(repoDir, copy, { recursive: true });
    const p = readdirSync(join(copy, "index"))
      .flatMap((f) => openIndex(agentKey, readFileSync(join(copy, "index", f)), f).packs)
      .find((x) => x.kind === "data")!;
    // Every blob of a real pack, listed first at an offset past 2^32: a reader trusting it would fail them all.
    const poisoned = putSealedIndex(copy, agentKey, {
      version: 1,
      packs: [{ ...p, blobs: p.blobs.map((b) => [b[0], b[1], 2 ** 32 + b[2], b[3], b[4], b[5]]) }],
    });
    for (const key of ["snapshots/.DS_Store", "index/README", "data/.DS_Store", "prune/notes.txt", "keys/x"])
      putObject(copy, key, "junk\n");
    const list = recover(["--repo", copy, "--identity", identityFile, "snapshots"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toMatch(/snapshots\/\.DS_Store: a stray object/);
    const target = join(dir, "from-hostile");
    const r = recover(["--repo", copy, "--identity", identityFile, "restore", snapshotId, target]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`damaged: ${poisoned}: pack row 0: pack ${p.id}, blob 0: offset`);
    expect(comparable(describeTree(B(target)), 1000n)).toEqual(comparable(cairnTree, 1000n));
  });

  it("names a damaged snapshot record, still lists and restores the others, and fails only the listing", () => {
    const copy = join(dir, "repo-bad-record");
    cpSync(repoDir, copy, { recursive: true });
    const record = join(copy, "snapshots", snapshotId);
    const bogus = "ab".repeat(32);
    const bytes = readFileSync(record);
    bytes[bytes.length - 5] ^= 0x40;
    writeFileSync(join(copy, "snapshots", bogus), bytes);
    const list = recover(["--repo", copy, "--identity", identityFile, "snapshots", "--json"]);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(`damaged: snapshots/${bogus}: SHA-256`);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((s) => s.id)).toEqual([snapshotId]);
    const r = recover([
      "--repo",
      copy,
      "--identity",
      identityFile,
      "restore",
      "latest",
      join(dir, "despite-bad-record"),
      "--include",
      `${src}/docs/readme.txt`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`damaged: snapshots/${bogus}: `);
    expect(readFileSync(join(dir, "despite-bad-record", src, "docs", "readme.txt"))).toEqual(
      readFileSync(join(src, "docs", "readme.txt")),
    );
  });

  it("restores a crafted snapshot with hostile names exactly as cairn does, and writes nothing outside the target", async () => {
    // A snapshot written with the agent key (anyone holding it, or a buggy writer) whose root tree tries every escape.
    const repo = await Repository.open(new LocalStorage(repoDir), { agentKey });
    const payload = B("payload\n");
    const other = B("second copy\n");
    const outside = join(dir, "outside");
    mkdirSync(outside);
    const file = (name: Record<string, string>, content: Buffer, size = content.length): TreeNode =>
      ({
        ...name,
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtimeNs: "1700000000123456789",
        size,
        content: [repo.blobId(BlobType.Data, content)],
      }) as TreeNode;
    const { result } = await repo.withUploader(async (up) => {
      for (const c of [payload, other]) await up.add(BlobType.Data, repo.blobId(BlobType.Data, c), c);
      const inner = encodeTree({ nodes: [file({ name: "through-symlink" }, payload)] });
      const innerId = repo.blobId(BlobType.Tree, inner);
      await up.add(BlobType.Tree, innerId, inner);
      const rootPlaceholder = "0".repeat(64) as BlobId;
      const nodes: TreeNode[] = [
        file({ name: ".." }, payload),
        file({ name: "." }, payload),
        file({ name: "" }, payload),
        file({ name: "a/b" }, payload),
        file({ name: "/abs" }, payload),
        file({ nameB64: B("../evil").toString("base64") }, payload),
        file({ name: "nul\u0000byte" }, payload),
        file({ name: "x".repeat(256) }, payload),
        file({ name: "dup" }, payload),
        file({ name: "dup" }, other),
        file({ name: "short" }, payload, 100),
        file({ name: "ok.txt" }, payload),
        {
          name: "sl",
          type: "symlink",
          mode: 0o777,
          uid: 0,
          gid: 0,
          mtimeNs: "1700000000000000000",
          target: outside,
        } as TreeNode,
        {
          name: "sl",
          type: "dir",
          mode: 0o755,
          uid: 0,
          gid: 0,
          mtimeNs: "1700000000000000000",
          subtree: innerId,
        } as TreeNode,
        {
          name: "loop",
          type: "dir",
          mode: 0o755,
          uid: 0,
          gid: 0,
          mtimeNs: "1700000000000000000",
          subtree: rootPlaceholder,
        } as TreeNode,
      ];
      // The cycle needs the root's own id inside the root: impossible with content addressing, so the loop points at a tree that is not stored.
      const root = encodeTree({ nodes });
      const rootId = repo.blobId(BlobType.Tree, root);
      await up.add(BlobType.Tree, rootId, root);
      const skeleton = encodeSkeleton({ tree: rootId, children: [], data: [] });
      const skeletonId = repo.blobId(BlobType.Skeleton, skeleton);
      await up.add(BlobType.Skeleton, skeletonId, skeleton);
      return { rootId, skeletonId };
    });
    const crafted = await repo.saveSnapshot({
      version: 1,
      time: "2099-01-01T00:00:00.000Z",
      host: "mallory",
      paths: ["/"],
      tags: [],
      tree: result.rootId,
      skeleton: result.skeletonId,
      program: "crafted",
    });
    await repo.close();

    const byCairn = join(dir, "crafted-cairn");
    const cairn = await runCli(["restore", ...flags(), "--identity", identityFile, crafted, "--target", byCairn]);
    const byRecover = join(dir, "crafted-recover");
    const r = recover(["--repo", repoDir, "--identity", identityFile, "restore", crafted.slice(0, 16), byRecover]);
    expect(cairn.code).toBe(1);
    expect(r.code).toBe(1);
    const errors = (text: string): string[] =>
      text
        .split("\n")
        .filter((l) => l.startsWith("error: "))
        .map((l) => l.slice(7).split(": ")[0])
        .sort();
    // Same entries refused by both: each escape attempt, the duplicate, the short file, the unreadable subtree.
    expect(errors(r.stderr)).toEqual(errors(cairn.stderr));
    expect(errors(r.stderr)).toEqual(
      [
        "/",
        "/..",
        "/.",
        "/\\x2fabs",
        "/a\\x2fb",
        "/nul\\x00byte",
        "/dup",
        "/short",
        "/loop",
        "/sl",
        `/${"x".repeat(256)}`,
        "/..\\x2fevil",
      ].sort(),
    );
    expect(comparable(describeTree(B(byRecover)), 1000n)).toEqual(comparable(describeTree(B(byCairn)), 1000n));
    expect(readdirSync(byRecover).sort()).toEqual(["dup", "loop", "ok.txt", "sl"]);
    expect(readFileSync(join(byRecover, "dup"), "utf8")).toBe("payload\n");
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.includes("evil") || n === "abs" || n === "b")).toEqual([]);
  });

  it("refuses an identity the repository was not made for, and a bad command line, with exit codes 1 and 2", () => {
    const other = join(dir, "other.txt");
    writeFileSync(other, `${generateIdentity().toString()}\n`);
    const wrong = recover(["--repo", repoDir, "--identity", other, "snapshots"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("none of the identities");
    expect(recover(["--repo", repoDir, "--identity", identityFile, "restore"]).code).toBe(2);
    expect(
      recover(["--repo", repoDir, "--identity", identityFile, "restore", "ffffffffffff", join(dir, "x")]).code,
    ).toBe(2);
  });
});
