/**
 * FORMAT.md §Recovering without cairn, done with the Debian `age` and `zstd`
 * command-line tools: packs are standard age files, the pack trailer is as
 * documented, blobs are zstd frames, sealed objects are age files to the
 * agent key with a 32-byte MAC at the end.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ageDecrypt,
  recoverDataKey,
  haveTool,
  parsePackTrailer,
  sealedBody,
  storedBlob,
  zstdDecompressViaFile,
  type PackEntry,
} from "./helpers/recover.js";
import { backupJson, initWorkspace, listObjects, type Workspace } from "./helpers/workspace.js";
import { wordyText } from "../helpers/wordy-text.js";

const D = haveTool("age") && haveTool("zstd") ? describe : describe.skip;

D("interop with the age and zstd CLIs", () => {
  let ws: Workspace & { recipient: string };
  let original: Buffer;
  let snapshot: string;
  let dataKey: string;

  beforeAll(async () => {
    ws = await initWorkspace("interop");
    // Larger than the chunker's 8 MiB maximum, so the file is several chunks whatever the repository's
    // chunker key (at 3 MiB a key with no cut point before the end gave one chunk now and then).
    original = wordyText(9 * 1024 * 1024);
    await writeFile(join(ws.src, "words.txt"), original);
    const { result, summary } = await backupJson(ws);
    expect(result.code, result.stderr).toBe(0);
    snapshot = summary.snapshot;
    dataKey = await recoverDataKey(ws.repo, ws.identity, join(ws.dir, "data.key"));
  });
  afterAll(() => ws?.cleanup());

  it("`age -d -i data.key` (unwrapped from keys/ with the identity) opens a data pack; its trailer lists blobs; a compressed data blob `zstd -d`s to a piece of the backed-up file", async () => {
    const packs = await listObjects(ws.repo, "data");
    expect(packs.length).toBeGreaterThan(0);
    const dataBlobs: { entry: PackEntry; stored: Buffer }[] = [];
    for (const key of packs) {
      expect(key).toMatch(/^data\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/);
      const plain = ageDecrypt(join(ws.repo, key), dataKey);
      for (const entry of parsePackTrailer(plain))
        if (entry.type === 0) dataBlobs.push({ entry, stored: storedBlob(plain, entry) });
    }
    const compressed = dataBlobs.filter((b) => b.entry.flags & 1);
    expect(compressed.length).toBeGreaterThan(1); // several chunks of a compressible file
    let rawTotal = 0;
    for (const [i, { entry, stored }] of compressed.entries()) {
      const raw = await zstdDecompressViaFile(ws.dir, `blob-${i}`, stored);
      expect(raw.length).toBe(entry.rawLength);
      expect(entry.storedLength).toBeLessThan(entry.rawLength);
      expect(original.includes(raw)).toBe(true);
      rawTotal += raw.length;
    }
    expect(rawTotal).toBe(original.length); // the chunks cover the file
  });

  it("`age -d -i agent.key snapshots/<id>` minus the 32-byte MAC is JSON whose `tree` is a tree blob in a data pack", async () => {
    const plain = ageDecrypt(join(ws.repo, "snapshots", snapshot), ws.agentKey);
    const record = JSON.parse(sealedBody(plain).toString("utf8")) as { tree: string; paths: string[] };
    expect(record.tree).toMatch(/^[0-9a-f]{64}$/);
    expect(record.paths).toEqual([ws.src]);

    // Follow it without cairn: the root tree mirrors absolute paths from "/".
    let rootTree: { nodes: { name: string; type: string }[] } | undefined;
    for (const key of await listObjects(ws.repo, "data")) {
      const pack = ageDecrypt(join(ws.repo, key), dataKey);
      const e = parsePackTrailer(pack).find((x) => x.type === 1 && x.id === record.tree);
      if (!e) continue;
      const stored = storedBlob(pack, e);
      rootTree = JSON.parse(
        (e.flags & 1 ? await zstdDecompressViaFile(ws.dir, "root-tree", stored) : stored).toString("utf8"),
      );
    }
    expect(rootTree?.nodes.map((n) => [n.name, n.type])).toEqual([[ws.src.split("/")[1], "dir"]]);
  });

  it("the identity recovers the agent key from keys/ (base64 -d wrappedAgentKey | age -d -i id.txt)", async () => {
    const keyFiles = await listObjects(ws.repo, "keys");
    expect(keyFiles).toHaveLength(1);
    const keyFile = JSON.parse(await readFile(join(ws.repo, keyFiles[0]), "utf8")) as {
      recipients: string[];
      wrappedAgentKey: string;
    };
    expect(keyFile.recipients).toEqual([ws.recipient]);
    const wrapped = join(ws.dir, "wrapped.age");
    await writeFile(wrapped, Buffer.from(keyFile.wrappedAgentKey, "base64"));
    const agentKeyFile = ageDecrypt(wrapped, ws.identity).toString("utf8");
    const secret = (s: string) => s.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"));
    expect(secret(agentKeyFile)).toBeDefined();
    expect(secret(agentKeyFile)).toBe(secret(await readFile(ws.agentKey, "utf8")));
  });
});
