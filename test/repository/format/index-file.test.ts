import type { BlobId } from "../../../src/core/ids.js";
import { describe, expect, it } from "vitest";
import { AgentKey } from "../../../src/crypto/agent-key.js";
import { seal } from "../../../src/crypto/sealed.js";
import { IntegrityError } from "../../../src/core/errors.js";
import { openIndex, sealIndex, type IndexPack } from "../../../src/repository/format/index-file.js";

const agent = AgentKey.generate();
const hex = (c: string) => c.repeat(64) as BlobId;
const pack = (over: Partial<IndexPack> = {}): IndexPack => ({
  id: hex("a"),
  kind: "data",
  size: 1000,
  headerLength: 200,
  blobs: [
    [0, hex("b"), 0, 100, 250, 1],
    [1, hex("c"), 100, 50, 50, 0],
  ],
  ...over,
});

/** An index body sealed as sealIndex would, but with any JSON (sealIndex only takes well-formed packs). */
function sealRaw(body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body));
  const head = Buffer.alloc(5);
  head.writeUInt32LE(json.byteLength, 1);
  return seal(agent, "index", Buffer.concat([head, json]));
}

describe("openIndex", () => {
  it("reads back what sealIndex wrote", () => {
    const packs = [pack(), pack({ id: hex("d"), kind: "meta", blobs: [] })];
    expect(openIndex(agent, sealIndex(agent, packs), "index/x")).toEqual({ version: 1, packs });
  });

  it("drops keys it does not know, as the schema does", () => {
    const body = openIndex(agent, sealRaw({ version: 1, packs: [{ ...pack(), future: true }] }), "index/x");
    expect(body.packs[0]).toEqual(pack());
  });

  it.each([
    ["a blob ID that is not 64 hex digits", [pack({ blobs: [[0, "xyz" as BlobId, 0, 1, 1, 0]] })]],
    ["a negative offset", [pack({ blobs: [[0, hex("b"), -1, 1, 1, 0]] })]],
    ["a compressed flag other than 0 or 1", [pack({ blobs: [[0, hex("b"), 0, 1, 1, 2 as 0]] })]],
    ["a short blob row", [{ ...pack(), blobs: [[0, hex("b"), 0, 1, 1]] }]],
    ["an unknown pack kind", [{ ...pack(), kind: "other" }]],
    ["a zero pack size", [pack({ size: 0 })]],
    ["a pack ID in capitals", [pack({ id: "A".repeat(64) })]],
  ])("rejects %s, naming the index file", (_what, packs) => {
    expect(() => openIndex(agent, sealRaw({ version: 1, packs }), "index/bad")).toThrow(IntegrityError);
    expect(() => openIndex(agent, sealRaw({ version: 1, packs }), "index/bad")).toThrow(/index\/bad/);
  });

  it("rejects another format version", () => {
    expect(() => openIndex(agent, sealRaw({ version: 2, packs: [] }), "index/v2")).toThrow(IntegrityError);
  });
});
