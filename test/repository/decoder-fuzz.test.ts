import { blobIdOfDigest } from "../../src/core/ids.js";
/**
 * docs/RELIABILITY.md S25, decoder fuzzing: every decoder of the repository format
 * (pack trailer and whole packs, index files, prune marks, trees, skeletons,
 * snapshot records, the repository config, key files, and the sealed and age
 * containers around them) is fed random bytes and mutations of valid objects.
 * It must return a value (which must then be usable: index rows load into a
 * BlobIndex) or throw its typed error (IntegrityError, WrongKeyError), within
 * bounded time and without sizing a buffer by a length it did not bound
 * (invariant 11; test/helpers/decoder-fuzz.ts). Mutations are both byte-level
 * (flips, edge u32s, cuts) and structural (a JSON value replaced by an edge
 * value, deleted or duplicated), the latter sealed afresh with the agent key:
 * what a holder of the agent key, not only bit rot, can write.
 *
 * Seeded: CAIRN_TEST_SEED=<n> replays; CAIRN_SOAK=1 runs many more.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { IntegrityError, WrongKeyError } from "../../src/core/errors.js";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { ageEncrypt } from "../../src/crypto/age-file.js";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import { seal, unseal } from "../../src/crypto/sealed.js";
import { compressBlob } from "../../src/compression/zstd.js";
import { BlobIndex } from "../../src/repository/blob-index.js";
import { openIndex, type IndexPack } from "../../src/repository/format/index-file.js";
import { addToBlobIndex } from "../../src/repository/blob-index.js";
import { encodeJson } from "../../src/repository/format/json-body.js";
import {
  keyFileAuthentic,
  keyFileRecipients,
  makeKeyFile,
  parseKeyFile,
  unwrapSecrets,
} from "../../src/repository/format/key-ring.js";
import { decodeTrailer, encodeTrailer, type PackEntry } from "../../src/repository/format/pack-format.js";
import { emptyMark, openMark, sealMark } from "../../src/repository/prune-mark.js";
import { newRepoConfig, openConfig, sealConfig } from "../../src/repository/format/repo-config.js";
import { decodeSkeleton, encodeSkeleton } from "../../src/repository/format/skeleton.js";
import { openSnapshot, sealSnapshot, type SnapshotRecord } from "../../src/repository/format/snapshot-record.js";
import { nodeNameBytes, nodeTargetBytes, type TreeNode } from "../../src/repository/format/tree.js";
import { decodeTree, encodeTree } from "../../src/repository/format/tree-codec.js";
import { verifyPack } from "../../src/maintenance/pack-verify.js";
import {
  byteMutations,
  edgeValue,
  expectTyped,
  FuzzCounter,
  jsonMutations,
  mutateBytes,
  mutateJson,
  RUNS,
} from "../helpers/decoder-fuzz.js";

const fuzz = new FuzzCounter("S25 decoder fuzzing");
afterAll(() => fuzz.report());

const agent = AgentKey.generate();
const identity = generateIdentity();
const TYPED = [IntegrityError, WrongKeyError];
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => blobIdOfDigest(b));
const randomBytes = fc.uint8Array({ maxLength: 2048 });
/** Sealing costs an X25519 operation per object: the sealed properties run fewer times. */
const SEALED_RUNS = Math.max(40, Math.floor(RUNS / 2));

// ---------------------------------------------------------------- packs

/** A pack plaintext: blobs (some zstd-compressed) then their trailer (docs/FORMAT.md §Packs). */
const packPlain = fc
  .array(fc.record({ type: fc.constantFrom(0, 1, 2), fill: fc.nat(255), n: fc.nat(3000), random: fc.boolean() }), {
    maxLength: 6,
  })
  .map((specs) => {
    const blobs: Buffer[] = [];
    const entries: PackEntry[] = [];
    let offset = 0;
    for (const [i, s] of specs.entries()) {
      const raw = s.random
        ? Buffer.from(Array.from({ length: s.n }, (_, k) => (k * 131 + i * 7) & 0xff))
        : Buffer.alloc(s.n, s.fill);
      const { bytes, compressed } = compressBlob(raw);
      blobs.push(Buffer.from(bytes));
      entries.push({
        type: s.type,
        id: Buffer.from(agent.blobId(s.type, raw), "hex"),
        offset,
        length: bytes.length,
        rawLength: raw.length,
        compressed,
      });
      offset += bytes.length;
    }
    return Buffer.concat([...blobs, encodeTrailer(entries)]);
  });

/** What a reader may then do with the entries: slice each blob, size a buffer by its raw length (docs/FORMAT.md §Packs). */
function checkEntries(entries: PackEntry[], plain: Uint8Array): void {
  let end = 0;
  for (const e of entries) {
    expect(e.rawLength).toBeLessThanOrEqual(e.compressed ? e.length * 32768 : e.length);
    end = e.offset + e.length;
  }
  expect(end).toBeLessThanOrEqual(plain.length);
}

/** u8 flags || u32le JSON length || JSON, zstd when it saves (docs/FORMAT.md §Index), as src/repository/format/index-file.ts writes it. */
function encodeIndexBody(doc: unknown): Buffer {
  const json = encodeJson(doc);
  const { bytes, compressed } = compressBlob(json);
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32LE(json.length, 1);
  return Buffer.concat([head, bytes]);
}

describe("S25: pack trailer and whole packs", () => {
  it("decodeTrailer: random bytes and damaged valid plaintexts", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          randomBytes,
          fc.tuple(packPlain, byteMutations).map(([p, m]) => mutateBytes(p, m)),
        ),
        (b) =>
          expectTyped(
            fuzz,
            b,
            (x) => decodeTrailer(x, "data/aa/fuzz"),
            TYPED,
            (entries) => checkEntries(entries, b),
          ),
      ),
      fuzz.params(),
    );
  });

  it("verifyPack: forged plaintexts in authentic age files (anyone knowing the recipient), and damaged files", () => {
    const idKey = agent.exportBlobIdKey();
    fc.assert(
      fc.property(packPlain, byteMutations, fc.boolean(), (plain, m, damageCiphertext) => {
        const file = damageCiphertext
          ? mutateBytes(ageEncrypt(plain, [identity.recipient]), m)
          : ageEncrypt(mutateBytes(plain, m), [identity.recipient]);
        expectTyped(fuzz, file, (f) => verifyPack(f, [identity], idKey, "data/aa/fuzz"), TYPED);
      }),
      fuzz.params(SEALED_RUNS),
    );
  });
});

// ---------------------------------------------------------------- index files and prune marks

/** Index pack rows as a writer makes them: offsets implicit, sizes those of the age file (docs/FORMAT.md §Index). */
const packRow: fc.Arbitrary<IndexPack> = fc
  .record({
    id: hex64,
    meta: fc.boolean(),
    headerLength: fc.integer({ min: 100, max: 400 }),
    blobs: fc.array(
      fc.record({
        id: hex64,
        length: fc.integer({ min: 1, max: 100_000 }),
        compressed: fc.boolean(),
        tree: fc.boolean(),
      }),
      { maxLength: 5 },
    ),
  })
  .map(({ id, meta, headerLength, blobs }) => {
    let offset = 0;
    const rows = blobs.map((b) => {
      const row: IndexPack["blobs"][number] = [
        meta ? 2 : b.tree ? 1 : 0,
        b.id,
        offset,
        b.length,
        b.compressed ? b.length * 3 : b.length,
        b.compressed ? 1 : 0,
      ];
      offset += b.length;
      return row;
    });
    const plain = offset + 12 + 42 * rows.length;
    const size = headerLength + 16 + plain + 16 * Math.max(1, Math.ceil(plain / 65536));
    return { id, kind: meta ? ("meta" as const) : ("data" as const), size, headerLength, blobs: rows };
  });

const indexDoc = fc.array(packRow, { maxLength: 4 }).map((packs) => ({ version: 1, packs }));
const markDoc = fc
  .tuple(
    fc.array(packRow, { maxLength: 3 }),
    fc.array(
      hex64.map((h) => `index/${h}`),
      { maxLength: 3 },
    ),
  )
  .map(([packs, objects]) => emptyMark(new Date(1_700_000_000_000), 86_400_000, packs, objects));

/** Body bytes of an index-shaped object: a mutated document, a damaged valid body, or random bytes behind a plausible header. */
function indexBodies(doc: fc.Arbitrary<unknown>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(doc, jsonMutations).map(([d, m]) => encodeIndexBody(mutateJson(d, m))),
    fc.tuple(doc, byteMutations).map(([d, m]) => mutateBytes(encodeIndexBody(d), m)),
    fc.tuple(fc.constantFrom(0, 1), fc.nat(), randomBytes).map(([flag, n, b]) => {
      const head = Buffer.alloc(5);
      head[0] = flag;
      head.writeUInt32LE(n >>> 0, 1);
      return Buffer.concat([head, b]);
    }),
  );
}

const loadsIntoIndex = (packs: IndexPack[]) => addToBlobIndex(new BlobIndex(), { version: 1, packs });

describe("S25: index files and prune marks", () => {
  it("openIndex: every row it accepts loads into a BlobIndex", () => {
    fc.assert(
      fc.property(indexBodies(indexDoc), (body) => {
        const file = seal(agent, "index", body);
        expectTyped(
          fuzz,
          file,
          (f) => openIndex(agent, f, "index/fuzz"),
          TYPED,
          (v) => loadsIntoIndex(v.packs),
        );
      }),
      fuzz.params(SEALED_RUNS),
    );
  });

  it("openMark: every row it accepts loads into a BlobIndex", () => {
    fc.assert(
      fc.property(indexBodies(markDoc), (body) => {
        const file = seal(agent, "prune", body);
        expectTyped(
          fuzz,
          file,
          (f) => openMark(agent, f, "prune/fuzz"),
          TYPED,
          (v) => loadsIntoIndex(v.packs),
        );
      }),
      fuzz.params(SEALED_RUNS),
    );
  });

  it("round-trips what the writers produce", () => {
    fc.assert(
      fc.property(indexDoc, markDoc, (index, mark) => {
        expect(openIndex(agent, seal(agent, "index", encodeIndexBody(index)), "index/ok")).toEqual(index);
        expect(openMark(agent, sealMark(agent, mark), "prune/ok")).toEqual(mark);
      }),
      fuzz.params(Math.max(20, RUNS / 10)),
    );
  });
});

// ---------------------------------------------------------------- trees and skeletons

const treeNode: fc.Arbitrary<TreeNode> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 30 }),
    type: fc.constantFrom("file", "dir", "symlink", "fifo"),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    ids: fc.array(hex64, { maxLength: 3 }),
  })
  .map(({ name, type, mode, ids }) => {
    const base = { name, type, mode, uid: 1000, gid: 1000, mtimeNs: "1700000000123456789" } as TreeNode;
    if (type === "file") return { ...base, size: ids.length * 10, content: ids as TreeNode["content"] };
    if (type === "dir") return ids[0] ? { ...base, subtree: ids[0] as TreeNode["subtree"] } : base;
    if (type === "symlink") return { ...base, target: "../x" };
    return base;
  });

function jsonDocuments(doc: fc.Arbitrary<unknown>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(doc, jsonMutations).map(([d, m]) => encodeJson(mutateJson(d, m))),
    fc.tuple(doc, byteMutations).map(([d, m]) => mutateBytes(encodeJson(d), m)),
    randomBytes,
  );
}

describe("S25: trees and skeletons", () => {
  it("decodeTree: every node it accepts has readable name and target bytes", () => {
    const doc = fc.array(treeNode, { maxLength: 6 }).map((nodes) => ({ version: 1, nodes }));
    fc.assert(
      fc.property(jsonDocuments(doc), (b) =>
        expectTyped(
          fuzz,
          b,
          (x) => decodeTree(x, "tree"),
          TYPED,
          (t) => {
            for (const n of t.nodes) {
              nodeNameBytes(n);
              nodeTargetBytes(n);
            }
          },
        ),
      ),
      fuzz.params(),
    );
    // A valid tree stays valid through the codec.
    fc.assert(
      fc.property(fc.array(treeNode, { maxLength: 4 }), (nodes) => {
        expect(decodeTree(encodeTree({ nodes }), "tree").nodes).toEqual(nodes);
      }),
      fuzz.params(20),
    );
  });

  it("decodeSkeleton", () => {
    const doc = fc
      .record({ tree: hex64, children: fc.array(hex64, { maxLength: 3 }), data: fc.array(hex64, { maxLength: 3 }) })
      .map((s) => JSON.parse(encodeSkeleton(s as never).toString()) as unknown);
    fc.assert(
      fc.property(jsonDocuments(doc), (b) => expectTyped(fuzz, b, (x) => decodeSkeleton(x, "skeleton"), TYPED)),
      fuzz.params(),
    );
  });
});

// ---------------------------------------------------------------- sealed records, config, key files

const snapshotDoc: fc.Arbitrary<SnapshotRecord> = fc
  .record({
    tree: hex64,
    skeleton: hex64,
    host: fc.string({ maxLength: 20 }),
    tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  })
  .map(
    (s) =>
      ({
        version: 1,
        time: "2026-11-24T06:00:00.000Z",
        utcOffset: 60,
        paths: ["/srv/app"],
        program: "cairn fuzz",
        ...s,
      }) as SnapshotRecord,
  );

/** A sealed object of `kind` holding a mutated JSON document, a damaged sealed file, or random bytes. */
function sealedObjects(
  kind: string,
  doc: fc.Arbitrary<unknown>,
  sealDoc: (d: never) => Buffer,
): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(doc, jsonMutations).map(([d, m]) => seal(agent, kind, encodeJson(mutateJson(d, m)))),
    fc.tuple(doc, byteMutations).map(([d, m]) => mutateBytes(sealDoc(d as never), m)),
    randomBytes,
  );
}

describe("S25: sealed objects, snapshot records, config, key files", () => {
  it("unseal: random bytes and damaged sealed files", () => {
    const sealed = fc
      .tuple(randomBytes, fc.constantFrom("index", "snapshot", "config", "prune"))
      .map(([b, kind]) => seal(agent, kind, b));
    fc.assert(
      fc.property(
        fc.oneof(
          randomBytes,
          fc.tuple(sealed, byteMutations).map(([s, m]) => mutateBytes(s, m)),
        ),
        (b) => expectTyped(fuzz, b, (x) => unseal(agent, "index", x, "index/fuzz"), TYPED),
      ),
      fuzz.params(SEALED_RUNS),
    );
  });

  it("openSnapshot", () => {
    fc.assert(
      fc.property(
        sealedObjects("snapshot", snapshotDoc, (d: SnapshotRecord) => sealSnapshot(agent, d)),
        (b) => expectTyped(fuzz, b, (x) => openSnapshot(agent, x, "snapshots/fuzz"), TYPED),
      ),
      fuzz.params(SEALED_RUNS),
    );
  });

  it("openConfig", () => {
    const doc = fc.constant(
      newRepoConfig({
        chunker: { min: 512, avg: 1024, max: 4096 },
        packSize: 1 << 20,
        compressionLevel: 3,
        now: new Date(0),
      }),
    );
    fc.assert(
      fc.property(
        sealedObjects("config", doc, (d: never) => sealConfig(agent, d)),
        (b) => expectTyped(fuzz, b, (x) => openConfig(agent, x), TYPED),
      ),
      fuzz.params(SEALED_RUNS),
    );
  });

  it("key files: parseKeyFile, then what readers do with one that parses", () => {
    const keyFile = JSON.parse(
      makeKeyFile({ agent, dataIdentity: generateIdentity() }, [identity.recipient], 3, new Date(0)).toString(),
    ) as unknown;
    const files = fc.oneof(
      jsonMutations.map((m) => encodeJson(mutateJson(keyFile, m))),
      byteMutations.map((m) => mutateBytes(encodeJson(keyFile), m)),
      randomBytes,
      edgeValue.map((v) => encodeJson(v)),
    );
    fc.assert(
      fc.property(files, (b) =>
        expectTyped(
          fuzz,
          b,
          (x) => {
            const k = parseKeyFile(x, "keys/fuzz");
            keyFileAuthentic(agent, k);
            keyFileRecipients(k);
            return unwrapSecrets(k, [identity], "keys/fuzz");
          },
          TYPED,
        ),
      ),
      fuzz.params(SEALED_RUNS),
    );
  });
});
