/**
 * Reading a repository the way FORMAT.md §Recovering without cairn says,
 * with the Debian `age` and `zstd` command-line tools and nothing of cairn.
 */
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export function haveTool(name: string): boolean {
  return spawnSync(name, ["--version"], { stdio: "ignore" }).status === 0;
}

/** `age -d -i <identityFile> <file>`; throws with age's stderr on failure. */
export function ageDecrypt(file: string, identityFile: string): Buffer {
  const r = spawnSync("age", ["-d", "-i", identityFile, file], { maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`age -d ${file} failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout;
}

/** Writes `frame` to `<dir>/<name>.zst`, runs `zstd -d` on it and returns the output file's bytes. */
export async function zstdDecompressViaFile(dir: string, name: string, frame: Buffer): Promise<Buffer> {
  const input = join(dir, `${name}.zst`);
  const output = join(dir, name);
  await writeFile(input, frame);
  const r = spawnSync("zstd", ["-d", "-q", "-f", input, "-o", output]);
  if (r.status !== 0) throw new Error(`zstd -d ${input} failed (${r.status}): ${r.stderr.toString()}`);
  return readFile(output);
}

export interface PackEntry {
  type: number;
  flags: number;
  id: string;
  offset: number;
  storedLength: number;
  rawLength: number;
}

export const PACK_MAGIC = "CAIRNPK1";
const ENTRY_SIZE = 42;

/**
 * Parses a pack's plaintext trailer (FORMAT.md §Packs): "CAIRNPK1" in the last
 * 8 bytes, u32le count before it, `count` 42-byte entries before that; blob
 * offsets are implicit.
 */
export function parsePackTrailer(plain: Buffer): PackEntry[] {
  if (plain.length < 12) throw new Error(`pack plaintext too short: ${plain.length}`);
  const magic = plain.subarray(plain.length - 8).toString("latin1");
  if (magic !== PACK_MAGIC) throw new Error(`bad pack magic ${JSON.stringify(magic)}`);
  const n = plain.readUInt32LE(plain.length - 12);
  const entriesStart = plain.length - 12 - n * ENTRY_SIZE;
  if (entriesStart < 0) throw new Error(`pack claims ${n} entries but has ${plain.length} bytes`);
  const out: PackEntry[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const e = plain.subarray(entriesStart + i * ENTRY_SIZE, entriesStart + (i + 1) * ENTRY_SIZE);
    const entry = {
      type: e[0],
      flags: e[1],
      id: e.subarray(2, 34).toString("hex"),
      offset,
      storedLength: e.readUInt32LE(34),
      rawLength: e.readUInt32LE(38),
    };
    out.push(entry);
    offset += entry.storedLength;
  }
  if (offset !== entriesStart) throw new Error(`stored lengths sum to ${offset}, trailer starts at ${entriesStart}`);
  return out;
}

/** The stored bytes of one blob (still compressed when `flags & 1`). */
export function storedBlob(plain: Buffer, e: PackEntry): Buffer {
  return plain.subarray(e.offset, e.offset + e.storedLength);
}

/** A sealed object's body: the age plaintext minus its trailing 32-byte MAC. */
export function sealedBody(plain: Buffer): Buffer {
  return plain.subarray(0, plain.length - 32);
}

/**
 * FORMAT.md §Recovering without cairn, step 1: unwrap the data identity from the
 * newest key file with `age -d -i <identity>` and write it to `out`.
 */
export async function recoverDataKey(repoDir: string, identityFile: string, out: string): Promise<string> {
  const { readdir } = await import("node:fs/promises");
  const files = await readdir(join(repoDir, "keys"));
  const keyFiles = await Promise.all(
    files.map(
      async (f) =>
        JSON.parse(await readFile(join(repoDir, "keys", f), "utf8")) as { seq: number; wrappedDataIdentity: string },
    ),
  );
  const newest = keyFiles.sort((a, b) => b.seq - a.seq)[0];
  await writeFile(`${out}.age`, Buffer.from(newest.wrappedDataIdentity, "base64"));
  await writeFile(out, ageDecrypt(`${out}.age`, identityFile), { mode: 0o600 });
  return out;
}
