import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { BlobType } from "../../src/ids.js";
import { compressVerified, sealVerified } from "../../src/repository/pack-codec.js";
import { decodePack, type DecodeEntry } from "../../src/repository/pack-decode.js";
import { WorkerCodec } from "../../src/pipeline/worker-codec.js";
import { codecWorkersUsable } from "../pipeline/helpers/repo.js";

/**
 * Whole-pack decoding for restores (on the codec workers): every blob comes
 * back verified against its keyed id, and one bad blob spoils only itself.
 */
const agent = AgentKey.generate();
const identity = generateIdentity();
const blobs = [Buffer.from("a".repeat(50_000)), Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i * 7919) & 0xff)), Buffer.alloc(0), Buffer.from("tail")];

function makePack(): { file: Uint8Array; entries: DecodeEntry[] } {
  const parts: Uint8Array[] = [];
  const entries: DecodeEntry[] = [];
  let offset = 0;
  for (const raw of blobs) {
    const id = agent.blobId(BlobType.Data, raw);
    const c = compressVerified(raw, 3, id);
    parts.push(c.bytes);
    entries.push({ id, type: BlobType.Data, offset, length: c.bytes.byteLength, rawLength: raw.byteLength, compressed: c.compressed });
    offset += c.bytes.byteLength;
  }
  return { file: sealVerified(parts, [identity.recipient], "pack").file, entries };
}

describe("decodePack", () => {
  it("returns every listed blob, verified, and marks only the one whose content does not match its id", () => {
    const { file, entries } = makePack();
    const wrong = entries.map((e, i) => (i === 1 ? { ...e, id: agent.blobId(BlobType.Data, Buffer.from("something else")) } : e));
    const d = decodePack(file, [identity], wrong, agent.exportBlobIdKey(), "data/pack");
    expect(d.spans[1]).toBe("content does not match its id");
    for (const i of [0, 2, 3]) {
      const span = d.spans[i] as [number, number];
      expect(Buffer.from(d.bytes.subarray(span[0], span[0] + span[1]))).toEqual(blobs[i]);
    }
  });

  it("fails as a whole when the pack cannot be decrypted with the identity", () => {
    const { file, entries } = makePack();
    expect(() => decodePack(file, [generateIdentity()], entries, agent.exportBlobIdKey(), "data/pack")).toThrow(/data\/pack/);
  });

  it("gives the same blobs on a codec worker", async () => {
    if (!(await codecWorkersUsable())) return expect.fail("codec workers do not start here: run `npm run build` first");
    const { file, entries } = makePack();
    const codec = new WorkerCodec(1, agent.exportBlobIdKey());
    try {
      const d = await codec.decodePack(file, [identity], entries, "data/pack");
      expect(d.spans.every((s) => typeof s !== "string")).toBe(true);
      const [at, len] = d.spans[1] as [number, number];
      expect(Buffer.from(d.bytes.subarray(at, at + len))).toEqual(blobs[1]);
    } finally {
      await codec.close();
    }
  });
});
