import { describe, expect, it } from "vitest";
import { ageEncrypt } from "../../src/crypto/age-file.js";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import { keyedBlobId } from "../../src/crypto/agent-key.js";
import { compressBlob } from "../../src/compression/zstd.js";
import { BlobType } from "../../src/core/ids.js";
import { encodeTrailer, type PackEntry } from "../../src/repository/format/pack-format.js";
import { verifyPack } from "../../src/maintenance/pack-verify.js";
import { PackVerifierPool } from "../../src/maintenance/pack-verifier-pool.js";
import { sha256Hex } from "../../src/repository/format/sha256.js";

const idKey = Buffer.alloc(32, 7);
const identity = generateIdentity();

/** A pack as the writer lays it out: blobs, then the trailer, encrypted to `identity`. */
function pack(blobs: Buffer[], tamper?: (id: Buffer) => Buffer): Buffer {
  const parts: Uint8Array[] = [];
  const entries: PackEntry[] = [];
  let offset = 0;
  for (const raw of blobs) {
    const c = compressBlob(raw);
    const id = Buffer.from(keyedBlobId(idKey, BlobType.Data, raw), "hex");
    entries.push({
      type: BlobType.Data,
      id: tamper ? tamper(id) : id,
      offset,
      length: c.bytes.length,
      rawLength: raw.length,
      compressed: c.compressed,
    });
    parts.push(c.bytes);
    offset += c.bytes.length;
  }
  return ageEncrypt([...parts, encodeTrailer(entries)], [identity.recipient]);
}

const blobs = [Buffer.from("a".repeat(5000)), Buffer.from("random-ish 0123456789"), Buffer.alloc(70000, 1)];

describe("verifyPack", () => {
  it("verifies every blob of a sound pack", () => {
    expect(verifyPack(pack(blobs), [identity], idKey, "p")).toEqual({ blobsVerified: 3, badBlobs: [] });
  });

  it("names the blobs whose content does not match their id", () => {
    const r = verifyPack(
      pack(blobs, (id) =>
        id[0] === 0 ? Buffer.concat([Buffer.of(1), id.subarray(1)]) : Buffer.concat([Buffer.of(0), id.subarray(1)]),
      ),
      [identity],
      idKey,
      "p",
    );
    expect(r.blobsVerified).toBe(0);
    expect(r.badBlobs).toHaveLength(3);
  });

  it("checks each pack's own bytes, though it reuses its buffers from one pack to the next", () => {
    const x = Buffer.alloc(70000, 1);
    const y = Buffer.alloc(70000, 2);
    const idX = Buffer.from(keyedBlobId(idKey, BlobType.Data, x), "hex");
    expect(verifyPack(pack([x, Buffer.from("x".repeat(9000))]), [identity], idKey, "p1")).toEqual({
      blobsVerified: 2,
      badBlobs: [],
    });
    // Same length as x, claims x's id: the buffers still hold x's bytes from the pack before.
    expect(
      verifyPack(
        pack([y], () => idX),
        [identity],
        idKey,
        "p2",
      ),
    ).toEqual({ blobsVerified: 0, badBlobs: [idX.toString("hex")] });
  });

  it("fails a pack that does not decrypt, naming it", () => {
    const file = pack(blobs);
    file[file.length - 100] ^= 1;
    expect(() => verifyPack(file, [identity], idKey, "data/ab/abc")).toThrow(/data\/ab\/abc/);
  });
});

describe("PackVerifierPool", () => {
  it("verifies packs on worker threads and reports a damaged one by rejecting with the reason", async () => {
    const pool = new PackVerifierPool(2, idKey, { data: [identity], meta: [] });
    try {
      const bad = pack(blobs);
      bad[bad.length - 100] ^= 1;
      const good1 = pack(blobs);
      const good2 = pack(blobs.slice(1));
      const [hash1, hash2] = [sha256Hex(good1), sha256Hex(good2)];
      const results = await Promise.allSettled([
        pool.verify("data", "good1", good1),
        pool.verify("data", "bad", bad),
        pool.verify("data", "good2", good2),
      ]);
      // Each sound pack also comes back with its SHA-256 (check reads a pack once for both tests).
      expect(results[0]).toEqual({ status: "fulfilled", value: { blobsVerified: 3, badBlobs: [], sha256: hash1 } });
      expect(results[1]).toMatchObject({ status: "rejected", reason: { message: expect.stringMatching(/bad/) } });
      expect(results[2]).toEqual({ status: "fulfilled", value: { blobsVerified: 2, badBlobs: [], sha256: hash2 } });
    } finally {
      await pool.close();
    }
  });
});
