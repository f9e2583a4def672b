/**
 * The probes of a real `cairn agent`, as a kubelet sees them: ready and alive
 * while its only repository holds no repository at all (storage is never a
 * reason to leave the Service or be restarted), not ready (503, "stopping")
 * but still alive once SIGTERM came and a run is finishing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startAgent, until } from "./helpers/agent-process.js";

const dir = mkdtempSync(join(process.env.CAIRN_TEST_TMP ?? tmpdir(), "cairn-agent-probes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("agent probes (e2e)", () => {
  it("ready while storage is unreachable; not ready but alive while stopping", async () => {
    mkdirSync(join(dir, "empty"));
    const port = await freePort();
    writeFileSync(
      join(dir, "cairn.yaml"),
      `repositories:
  nowhere: { url: ${join(dir, "empty")}, agent_key_file: ${join(dir, "agent.key")} }
jobs:
  slow:
    source: { type: files, paths: [${dir}] }
    repositories: [nowhere]
    run_on_start: true
    retry: { attempts: 0 }
    hooks: { before: "sleep 3" }
agent:
  listen: 127.0.0.1:${port}
  cache_dir: ${join(dir, "cache")}
  grace_period: 20s
`,
    );
    const agent = startAgent(join(dir, "cairn.yaml"), {});
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    try {
      await until(async () => {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => "",
        );
        return text.includes('cairn_repository_reachable{repository="nowhere"} 0');
      }, "the reachability probe to find no repository");
      expect(await get("/readyz")).toMatchObject({ status: 200, body: { ready: true, state: "running" } });
      expect(await get("/healthz")).toEqual({ status: 200, body: { alive: true, overdue: [] } });
      await until(() => agent.lines.find((l) => l.event === "job_started"), "the slow run to start");
      agent.child.kill("SIGTERM");
      const stopping = await until(async () => {
        const r = await get("/readyz");
        return r.status === 503 && r;
      }, "/readyz to turn 503");
      expect(stopping.body).toMatchObject({ ready: false, state: "stopping" });
      expect((await get("/healthz")).status).toBe(200);
      expect(await agent.exited).toBe(0);
    } finally {
      agent.child.kill("SIGKILL");
    }
  }, 60_000);
});
