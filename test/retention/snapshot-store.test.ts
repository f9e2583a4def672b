import { expectTypeOf, test } from "vitest";
import type { Repository } from "../../src/repository/repository.js";
import type { SnapshotStore } from "../../src/retention/snapshot-store.js";

// Checked by tsc (npm test type-checks test/): forget takes the facade the CLI and agent hold.
test("the Repository facade satisfies SnapshotStore", () => {
  expectTypeOf<Repository>().toExtend<SnapshotStore>();
});
