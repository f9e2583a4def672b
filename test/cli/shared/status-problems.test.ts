import { describe, expect, it } from "vitest";
import { STATUS_EXIT, statusExitCode, statusProblems } from "../../../src/cli/shared/status-problems.js";

const job = (name: string, o: { failed?: boolean; stale?: boolean } = {}) => ({
  name,
  lastRun: o.failed ? { result: "failure", error: "boom" } : { result: "success" },
  snapshots: [{ repository: "main", stale: o.stale ?? false, ageSeconds: o.stale ? 9999 : 1 }],
  maxAgeSeconds: 3600,
});
const repo = (name: string, reachable = true) => ({ name, reachable, error: reachable ? undefined : "ENOENT" });

describe("cairn status exit codes", () => {
  it("do not collide with the CLI's 0-3 and with each other", () => {
    const codes = Object.values(STATUS_EXIT);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toBeGreaterThan(3);
  });

  it("0 when all is well; otherwise the lowest code among the problems, each listed", () => {
    expect(statusExitCode(statusProblems([job("a")], [repo("main")]))).toBe(0);
    expect(statusExitCode(statusProblems([job("a", { stale: true })], [repo("main")]))).toBe(STATUS_EXIT.stale);
    expect(statusExitCode(statusProblems([job("a", { failed: true, stale: true })], [repo("main")]))).toBe(
      STATUS_EXIT.failed,
    );
    const all = statusProblems([job("a", { failed: true, stale: true })], [repo("main", false)]);
    expect(statusExitCode(all)).toBe(STATUS_EXIT.unreachable);
    expect(all.map((p) => p.kind)).toEqual(["unreachable", "failed", "stale"]);
    expect(all[0].message).toContain("repository main is not reachable: ENOENT");
  });
});
