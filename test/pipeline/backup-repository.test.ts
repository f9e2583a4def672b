import { expectTypeOf, test } from "vitest";
import type { Repository } from "../../src/repository/repository.js";
import type { BackupRepository } from "../../src/pipeline/backup-repository.js";

// Checked by tsc (npm test type-checks test/): the facade the CLI and agent hold is what a backup takes.
test("the Repository facade satisfies BackupRepository", () => {
  expectTypeOf<Repository>().toExtend<BackupRepository>();
});
