import { expectTypeOf, test } from "vitest";
import type { Uploader } from "../../src/repository/uploader.js";
import type { BlobSaver } from "../../src/pipeline/blob-saver.js";

// Checked by tsc (npm test type-checks test/): the repository's uploader is the write side the tree builder uses.
test("the repository's Uploader satisfies BlobSaver", () => {
  expectTypeOf<Uploader>().toExtend<BlobSaver>();
});
