import type { BlobId } from "../../../src/core/ids.js";
/**
 * The decoding rules of index pack rows (docs/FORMAT.md §Index, Decoding
 * rules): every row an honest writer produces passes, and each way a row can
 * be out of range is named. openIndex and openMark apply them, so a row that
 * passes always loads into a BlobIndex (docs/RELIABILITY.md invariant 11).
 */
import { describe, expect, it } from "vitest";
import { BlobIndex } from "../../../src/repository/blob-index.js";
import { addToBlobIndex } from "../../../src/repository/blob-index.js";
import { encodeTrailer, decodeTrailer, MAX_BLOB_LENGTH } from "../../../src/repository/format/pack-format.js";
import { packRowOf, packRowProblem, type IndexPack } from "../../../src/repository/format/pack-row.js";
import { IntegrityError } from "../../../src/core/errors.js";

const hex = (c: string) => c.repeat(64) as BlobId;
const row = (over: Partial<IndexPack> = {}): IndexPack => ({
  id: hex("a"),
  kind: "data",
  size: 70_000,
  headerLength: 200,
  blobs: [
    [0, hex("b"), 0, 100, 250, 1],
    [1, hex("c"), 100, 50, 50, 0],
  ],
  ...over,
});
const blob = (b: unknown[]) => row({ blobs: [b as IndexPack["blobs"][number]] });

describe("packRowProblem", () => {
  it("accepts rows honest writers produce, and a condemned unindexed pack's placeholder row", () => {
    expect(packRowProblem(row())).toBeUndefined();
    expect(packRowProblem(row({ kind: "meta", blobs: [[2, hex("d"), 0, 10, 10, 0]] }))).toBeUndefined();
    expect(packRowProblem({ id: hex("e"), kind: "data", size: 1, headerLength: 1, blobs: [] })).toBeUndefined();
    const index = new BlobIndex();
    addToBlobIndex(index, { version: 1, packs: [row()] });
    expect(index.size).toBe(2);
  });

  it.each<[string, unknown, RegExp]>([
    ["an unknown blob type", blob([7, hex("b"), 0, 10, 10, 0]), /unknown blob type 7/],
    ["a fractional blob type", blob([0.5, hex("b"), 0, 10, 10, 0]), /unknown blob type/],
    ["a skeleton in a data pack", blob([2, hex("b"), 0, 10, 10, 0]), /skeleton blob cannot be in a data pack/],
    ["a data blob in a meta pack", { ...blob([0, hex("b"), 0, 10, 10, 0]), kind: "meta" }, /data blob cannot be in/],
    ["an offset of 2^32", blob([0, hex("b"), 2 ** 32, 10, 10, 0]), /below 2\^32/],
    ["a negative length", blob([0, hex("b"), 0, -1, 10, 0]), /below 2\^32/],
    ["a raw length over the blob limit", blob([0, hex("b"), 0, 10, MAX_BLOB_LENGTH + 1, 1]), /limit of a blob/],
    ["a raw length zstd cannot reach", blob([0, hex("b"), 0, 10, 10 * 32768 + 1, 1]), /zstd can expand/],
    ["stored raw with another raw length", blob([0, hex("b"), 0, 10, 11, 0]), /differs from its stored/],
    ["a flag other than 0 or 1", blob([0, hex("b"), 0, 10, 10, 2]), /neither 0 nor 1/],
    ["a blob beyond the pack's plaintext", blob([0, hex("b"), 69_000, 900, 900, 0]), /beyond/],
    ["a size smaller than the header", row({ size: 100 }), /cannot hold a 200-byte header/],
    ["a header over the age limit", row({ headerLength: 70_000, size: 200_000 }), /header length/],
    ["a size that is not a safe integer", row({ size: 2 ** 60 }), /not a positive integer/],
    ["a pack id in capitals", row({ id: "A".repeat(64) }), /not 64 lower-case hex/],
    ["a short blob row", blob([0, hex("b"), 0, 10, 10]), /6 values/],
    ["blobs that are not a list", { ...row(), blobs: {} }, /not a list/],
  ])("names %s", (_what, r, message) => {
    expect(packRowProblem(r)).toMatch(message);
  });

  it("drops keys the format does not define", () => {
    expect(packRowOf({ ...row(), future: 1 })).toEqual(row());
  });
});

describe("decodeTrailer applies the same blob length rules", () => {
  it("refuses an entry claiming more raw bytes than zstd can give", () => {
    const id = Buffer.alloc(32, 1);
    const trailer = encodeTrailer([{ type: 0, id, offset: 0, length: 4, rawLength: 4 * 32768 + 1, compressed: true }]);
    const plain = Buffer.concat([Buffer.alloc(4), trailer]);
    expect(() => decodeTrailer(plain, "data/aa/x")).toThrow(IntegrityError);
    expect(() => decodeTrailer(plain, "data/aa/x")).toThrow(/blob 0: raw length/);
  });
});
