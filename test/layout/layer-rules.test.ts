import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../e2e/helpers/run-cli.js";

const run = promisify(execFile);
const DEPCRUISE = join(PROJECT_ROOT, "node_modules", ".bin", "depcruise");
const CONFIG = join(PROJECT_ROOT, ".dependency-cruiser.mjs");

/**
 * The layer rules of .dependency-cruiser.mjs (docs/ARCHITECTURE.md §Layers) run against a small
 * made-up src/ tree: each broken rule must be reported by name, so a rule that silently stopped
 * matching (a typo in a path pattern) fails here, not in a review months later.
 */
describe("layer rules", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cairn-layers-"));
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }),
    );
    await writeFile(
      join(dir, "package.json"),
      JSON.stringify({ name: "fixture", type: "module", devDependencies: { "dev-tool": "1.0.0" } }),
    );
  });
  beforeAll(async () => {
    const pkg = join(dir, "node_modules", "dev-tool");
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, "package.json"),
      JSON.stringify({ name: "dev-tool", version: "1.0.0", main: "index.js" }),
    );
    await writeFile(join(pkg, "index.js"), "module.exports = 1;\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function violations(files: Record<string, string>): Promise<string[]> {
    await rm(join(dir, "src"), { recursive: true, force: true });
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const out = await run(DEPCRUISE, ["src", "--config", CONFIG, "--output-type", "json"], { cwd: dir }).catch(
      (e: { stdout: string }) => e,
    );
    const report = JSON.parse(out.stdout) as {
      summary: { violations: { rule: { name: string }; from: string; to: string }[] };
    };
    return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  }

  const ok = "export const x = 1;\n";

  it("accepts imports that point down the layers", async () => {
    expect(
      await violations({
        "src/core/errors.ts": ok,
        "src/storage/storage.ts": 'import "../core/errors.js";\nexport const s = 1;\n',
        "src/storage/s3/s3-storage.ts": 'import "../storage.js";\nexport const s3 = 1;\n',
        "src/storage/location/open-storage.ts": 'import "../s3/s3-storage.js";\nexport const o = 1;\n',
        "src/repository/layout.ts": 'import "../storage/storage.js";\nexport const l = 1;\n',
        "src/cli/main.ts": 'import "./commands/backup.js";\n',
        "src/cli/commands/backup.ts": 'import "../shared/print.js";\nimport "../../repository/layout.js";\n',
        "src/cli/shared/print.ts": ok,
        "src/index.ts": 'import "./cli/main.js";\n',
      }),
    ).toEqual([]);
  });

  it("names an import up the layers, between peers, and into a parent folder", async () => {
    const found = await violations({
      "src/repository/layout.ts": ok,
      "src/storage/storage.ts": 'import "../repository/layout.js";\nimport "../crypto/keys.js";\n',
      "src/crypto/keys.ts": ok,
      "src/cli/main.ts": 'import "./commands/backup.js";\n',
      "src/cli/commands/backup.ts": 'import "../main.js";\n',
      "src/cli/shared/print.ts": 'import "../commands/backup.js";\n',
      "src/storage/local/local-storage.ts": 'import "../s3/s3-storage.js";\n',
      "src/storage/s3/s3-storage.ts": ok,
      "src/sources/source.ts": 'import "./postgres/pg.js";\n',
      "src/sources/postgres/pg.ts": 'import "../mysql/my.js";\n',
      "src/sources/mysql/my.ts": ok,
      "src/agent/agent.ts": 'import "./notify/slack.js";\n',
      "src/agent/notify/slack.ts": 'import "../agent.js";\nimport "../metrics/registry.js";\n',
      "src/agent/metrics/registry.ts": ok,
      "src/restore/restore-tree.ts": 'import "./writer/pool.js";\n',
      "src/restore/writer/pool.ts": 'import "../restore-tree.js";\nimport "../shared/reader.js";\n',
      "src/restore/shared/reader.ts": 'import "../writer/pool.js";\n',
      "src/repository/repository.ts": 'import "./format/tree.js";\n',
      "src/repository/format/tree.ts": 'import "../repository.js";\n',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "layer-storage: src/storage/storage.ts -> src/repository/layout.ts",
        "layer-storage: src/storage/storage.ts -> src/crypto/keys.ts",
        "cli-commands-below-main: src/cli/commands/backup.ts -> src/cli/main.ts",
        "cli-shared-below-commands: src/cli/shared/print.ts -> src/cli/commands/backup.ts",
        "storage-backends-apart: src/storage/local/local-storage.ts -> src/storage/s3/s3-storage.ts",
        "sources-root-is-the-seam: src/sources/source.ts -> src/sources/postgres/pg.ts",
        "sources-kinds-apart: src/sources/postgres/pg.ts -> src/sources/mysql/my.ts",
        "agent-subfolders-below-agent: src/agent/notify/slack.ts -> src/agent/agent.ts",
        "agent-subfolders-apart: src/agent/notify/slack.ts -> src/agent/metrics/registry.ts",
        "restore-writer-below-restore: src/restore/writer/pool.ts -> src/restore/restore-tree.ts",
        "restore-shared-at-the-bottom: src/restore/shared/reader.ts -> src/restore/writer/pool.ts",
        "repository-format-below-facade: src/repository/format/tree.ts -> src/repository/repository.ts",
      ]),
    );
  });

  it("names a backup or retention file that sees the Repository class or its Uploader, type-only imports too", async () => {
    const found = await violations({
      "src/repository/repository.ts": "export class Repository {}\n",
      "src/repository/uploader.ts": "export class Uploader {}\n",
      "src/pipeline/backup.ts":
        'import type { Repository } from "../repository/repository.js";\nexport type R = Repository;\n',
      "src/retention/forget.ts": 'import { Uploader } from "../repository/uploader.js";\nexport const u = Uploader;\n',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "backup-and-retention-see-interfaces: src/pipeline/backup.ts -> src/repository/repository.ts",
        "backup-and-retention-see-interfaces: src/retention/forget.ts -> src/repository/uploader.ts",
      ]),
    );
  });

  it("names a file cycle, a folder outside the layers, and imports of tests or dev tools", async () => {
    const found = await violations({
      "src/restore/a.ts": 'import "./b.js";\nexport const a = 1;\n',
      "src/restore/b.ts": 'import "./a.js";\nexport const b = 1;\n',
      "src/extras/x.ts": 'import "../core/errors.js";\n',
      "src/core/errors.ts": 'import "../../test/helper.js";\nimport "dev-tool";\n',
      "test/helper.ts": ok,
    });
    const rules = new Set(found.map((v) => v.split(":")[0]));
    expect([...rules].sort()).toEqual(
      expect.arrayContaining(["folder-in-a-layer", "no-circular", "src-not-to-dev-dependency", "src-not-to-test"]),
    );
  });
});
