/**
 * On a recovery machine the agent's config file comes back from config
 * management, but the agent key file it names does not exist: `cairn restore
 * --config F JOB --identity id.txt` must still restore, because the identity
 * unwraps the agent key from the repository (docs/DISASTER-RECOVERY.md).
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliOk, runCli } from "./helpers/run-cli.js";
import { initWorkspace, repoFlags, type Workspace } from "./helpers/workspace.js";

describe("cairn restore --config without the agent key file", () => {
  let ws: Workspace & { recipient: string };
  let config: string;
  let out: string;

  beforeAll(async () => {
    ws = await initWorkspace("restore-config-id-only");
    out = join(ws.dir, "replayed.sql");
    config = join(ws.dir, "cairn.yaml");
    await writeFile(
      config,
      [
        "repositories:",
        `  primary: { url: ${JSON.stringify(ws.repo)}, agent_key_file: ${JSON.stringify(ws.agentKey)} }`,
        "jobs:",
        "  orders:",
        `    source: { type: dump, command: "echo 'INSERT INTO orders VALUES (42);'", name: orders.sql, restore: "tee ${out}" }`,
        '    schedule: "0 4 * * *"',
        "    repositories: [primary]",
        "",
      ].join("\n"),
    );
    await cliOk(["run", "--config", config, "orders"], { env: { CAIRN_CACHE_DIR: ws.cache } });
    // The site is gone: only the identity and the config are left.
    await rm(ws.agentKey);
  });
  afterAll(() => ws?.cleanup());

  it("restores the job's latest dump with only the identity", async () => {
    const r = await runCli(["restore", "--config", config, "orders", "--identity", ws.identity]);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(out, "utf8")).toBe("INSERT INTO orders VALUES (42);\n");
  });

  it("an agent_key: ${VAR} config loads with a placeholder value, which restore with an identity never uses", async () => {
    const byVar = join(ws.dir, "by-var.yaml");
    await writeFile(
      byVar,
      (await readFile(config, "utf8")).replace(
        `agent_key_file: ${JSON.stringify(ws.agentKey)}`,
        'agent_key: "${OFFSITE_AGENT_KEY}"',
      ),
    );
    await rm(out, { force: true });
    const r = await runCli(["restore", "--config", byVar, "orders", "--identity", ws.identity], {
      env: { OFFSITE_AGENT_KEY: "unused" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(out, "utf8")).toBe("INSERT INTO orders VALUES (42);\n");
  });

  it("without an identity the missing agent key file is still the error; by URL the identity alone opens it", async () => {
    const r = await runCli(["restore", "--config", config, "orders"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agent_key_file: cannot read/);
    // The same repository opened by URL with the identity alone also works: the path the runbook uses.
    const byUrl = await runCli(["snapshots", ...repoFlags(ws, { agent: false, identity: ws.identity })]);
    expect(byUrl.code, byUrl.stderr).toBe(0);
    expect(byUrl.stdout).toMatch(/1 snapshot\(s\)/);
  });
});
