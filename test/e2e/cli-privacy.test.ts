/**
 * S17: nothing the store holds reveals a file name or content. Marker strings
 * go into names and contents; every byte of every object is then scanned for
 * them, raw and encoded. The agent key must not reveal them either: objects
 * it can decrypt (config, keys, index, snapshots, meta packs) are opened with
 * `age` and scanned again.
 */
import { readFile, writeFile, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ageDecrypt,
  haveTool,
  parsePackTrailer,
  sealedBody,
  storedBlob,
  zstdDecompressViaFile,
} from "./helpers/recover.js";
import { cliOk } from "./helpers/run-cli.js";
import { backupJson, initWorkspace, listObjects, repoFlags, type Workspace } from "./helpers/workspace.js";

const NAME_MARKER = "MARKER-NAME-7f3a9c";
const DIR_MARKER = "MARKERDIR-b81e";
const CONTENT_MARKER = "MARKER-CONTENT-55d2e1";
const LINK_MARKER = "MARKER-LINK-c0ffee";
const MARKERS = [NAME_MARKER, DIR_MARKER, CONTENT_MARKER, LINK_MARKER];

/** The marker's bytes as they could appear in storage: raw UTF-8, hex, and base64 at each of the three alignments. */
function encodings(marker: string): { how: string; bytes: Buffer }[] {
  const raw = Buffer.from(marker, "utf8");
  const out = [
    { how: "utf8", bytes: raw },
    { how: "hex", bytes: Buffer.from(raw.toString("hex")) },
  ];
  for (let shift = 0; shift < 3; shift++) {
    const aligned = raw.subarray(shift, shift + Math.floor((raw.length - shift) / 3) * 3);
    out.push({ how: `base64@${shift}`, bytes: Buffer.from(aligned.toString("base64")) });
    out.push({ how: `base64url@${shift}`, bytes: Buffer.from(aligned.toString("base64url")) });
  }
  return out;
}

function findMarkers(where: string, bytes: Buffer): string[] {
  const hits: string[] = [];
  for (const m of MARKERS)
    for (const e of encodings(m)) if (bytes.includes(e.bytes)) hits.push(`${where}: ${m} (${e.how})`);
  return hits;
}

describe("privacy scan (S17)", () => {
  let ws: Workspace & { recipient: string };

  beforeAll(async () => {
    ws = await initWorkspace("privacy");
    const dir = join(ws.src, DIR_MARKER);
    await mkdir(dir);
    await writeFile(join(dir, `${NAME_MARKER}.txt`), `${CONTENT_MARKER}\n`.repeat(20_000)); // compresses well
    await writeFile(join(ws.src, "short.txt"), CONTENT_MARKER); // too small to compress
    await writeFile(join(ws.src, `${NAME_MARKER}-empty`), "");
    await symlink(`${LINK_MARKER}/target`, join(ws.src, "link"));
    const { result } = await backupJson(ws);
    expect(result.code, result.stderr).toBe(0);
    // The repository really holds the data: it restores with the identity.
    const dump = await cliOk([
      "dump",
      ...repoFlags(ws, { identity: ws.identity }),
      "latest",
      join(ws.src, "short.txt"),
    ]);
    expect(dump.stdout).toBe(CONTENT_MARKER);
  });
  afterAll(() => ws?.cleanup());

  it("the scanner finds a marker raw, in hex and in base64 at any alignment (control)", () => {
    for (const prefix of ["", "x", "xy", "xyz"]) {
      const b64 = Buffer.from(`${prefix}${CONTENT_MARKER}`).toString("base64");
      expect(findMarkers("control", Buffer.from(`{"wrapped":"${b64}"}`))).not.toEqual([]);
    }
    expect(findMarkers("control", Buffer.from(Buffer.from(NAME_MARKER).toString("hex")))).not.toEqual([]);
    expect(findMarkers("control", Buffer.from(`\0${DIR_MARKER}\0`))).not.toEqual([]);
  });

  it("no marker appears in any stored byte, raw, hex or base64", async () => {
    const objects = await listObjects(ws.repo);
    expect(objects.some((k) => k.startsWith("data/"))).toBe(true);
    const hits: string[] = [];
    for (const key of objects) hits.push(...findMarkers(key, await readFile(join(ws.repo, key))));
    expect(hits).toEqual([]);
  });

  it.skipIf(!haveTool("age") || !haveTool("zstd"))(
    "objects the agent key decrypts reveal no marker either",
    async () => {
      const objects = await listObjects(ws.repo);
      const hits: string[] = [];
      const work = join(ws.dir, "unpacked");
      await mkdir(work);
      for (const key of objects) {
        const path = join(ws.repo, key);
        if (key.startsWith("data/")) continue; // encrypted to the recipients only
        if (key.startsWith("keys/")) {
          hits.push(...findMarkers(key, await readFile(path)));
          continue;
        }
        const plain = ageDecrypt(path, ws.agentKey);
        hits.push(...findMarkers(`${key} (decrypted)`, plain));
        if (key.startsWith("meta/")) {
          for (const [i, e] of parsePackTrailer(plain).entries()) {
            const stored = storedBlob(plain, e);
            const raw = e.flags & 1 ? await zstdDecompressViaFile(work, `meta-${i}`, stored) : stored;
            hits.push(...findMarkers(`${key} blob ${e.id}`, raw));
          }
        }
        if (key.startsWith("index/")) {
          const body = sealedBody(plain);
          const json = body.subarray(5, 5 + body.readUInt32LE(1));
          hits.push(
            ...findMarkers(
              `${key} (index JSON)`,
              body[0] & 1 ? await zstdDecompressViaFile(work, "index", json) : json,
            ),
          );
        }
      }
      expect(objects.filter((k) => k.startsWith("meta/")).length).toBeGreaterThan(0);
      expect(hits).toEqual([]);
    },
  );
});
