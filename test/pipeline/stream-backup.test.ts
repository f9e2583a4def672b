import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backupComposed } from "../../src/pipeline/stream-backup.js";
import { dumpFile } from "../../src/restore/dump-file.js";
import { listTree } from "../../src/restore/list-tree.js";
import { makeLayout, makeRepo, useWorkDir } from "./helpers/repo.js";

/** backupComposed: streams, paths and directories as one snapshot's root; a failing stream commits nothing. */
const work = useWorkDir("stream");

async function* chunks(parts: Buffer[], failAtEnd?: Error): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
  if (failAtEnd) throw failAtEnd;
}

describe("backupComposed", () => {
  it("stores a stream as one file, a path with its tree and a lazy directory, in name order, read in the caller's order", async () => {
    const { src, work: w } = makeLayout(work());
    mkdirSync(join(src, "base"), { recursive: true });
    writeFileSync(join(src, "base", "file.txt"), "on disk");
    const r = await makeRepo(w);
    const repo = await r.writer();
    const big = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const order: string[] = [];
    async function* label(): AsyncGenerator<Uint8Array> {
      order.push("label");
      yield Buffer.from("LABEL");
    }
    const res = await backupComposed(
      repo,
      [
        { kind: "stream", name: "z.sql", data: chunks([big.subarray(0, 3), big.subarray(3)]) },
        { kind: "path", name: "base", abs: join(src, "base") },
        { kind: "stream", name: "backup_label", data: label() },
        {
          kind: "dir",
          name: "pg_wal",
          entries: async () => (
            order.push("wal"),
            [{ kind: "stream", name: "000001", data: chunks([Buffer.from("wal")]) }]
          ),
        },
      ],
      { paths: ["/z.sql"], source: "test source", workers: 0 },
    );
    expect(order).toEqual(["label", "wal"]);
    expect(res.snapshot.source).toBe("test source");
    const reader = await r.reader();
    const paths: string[] = [];
    for await (const e of listTree(reader, res.snapshot.tree)) paths.push(e.path);
    expect(paths).toEqual(["/backup_label", "/base", "/base/file.txt", "/pg_wal", "/pg_wal/000001", "/z.sql"]);
    const out: Buffer[] = [];
    const sink = { write: (b: Buffer) => (out.push(Buffer.from(b)), true) } as unknown as NodeJS.WritableStream;
    expect(await dumpFile(reader, res.snapshot.tree, "/z.sql", sink)).toBe(big.length);
    expect(Buffer.concat(out).equals(big)).toBe(true);
  });

  it("a stream that throws after its data records no snapshot", async () => {
    const r = await makeRepo(work());
    const repo = await r.writer();
    const boom = new Error("pg_dump exited with code 1");
    await expect(
      backupComposed(
        repo,
        [{ kind: "stream", name: "db.sql", data: chunks([Buffer.alloc(3 * 1024 * 1024, 1)], boom) }],
        { paths: ["/db.sql"], workers: 0 },
      ),
    ).rejects.toBe(boom);
    expect(await (await r.writer()).listSnapshots()).toEqual([]);
  });
});
