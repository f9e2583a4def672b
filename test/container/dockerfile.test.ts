import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validate, ValidationSeverity } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { readDockerfile } from "./dockerfile-model.js";

/**
 * What can be checked of the Dockerfile without building it, in `npm test`.
 * The image itself is built and run as a sidecar by `npm run test:container`
 * (image.podman-test.ts): user, entrypoint, health check, contents and the
 * variants are checked there, on the built image.
 */
const repo = join(import.meta.dirname, "..", "..");
const dockerfilePath = join(repo, "Dockerfile");
const model = readDockerfile(dockerfilePath);
const nodeMajor = model.globalArgs.get("NODE_VERSION") ?? "";
const suite = model.globalArgs.get("DEBIAN_SUITE") ?? "";

describe("Dockerfile", () => {
  it("passes the Dockerfile linter", () => {
    const problems = validate(readFileSync(dockerfilePath, "utf8"))
      .filter((d) => d.severity === ValidationSeverity.ERROR || d.severity === ValidationSeverity.WARNING)
      .map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it("builds on a current even-numbered (LTS) Node, not the end-of-life Node 20", () => {
    expect(Number(nodeMajor)).toBeGreaterThanOrEqual(22);
    expect(Number(nodeMajor) % 2).toBe(0);
  });

  it("builds and runs on one Debian suite: Node's slim image to build, Debian's slim image to run", () => {
    expect(model.stages.map((s) => s.image)).toEqual([`node:${nodeMajor}-${suite}-slim`, `debian:${suite}-slim`]);
  });

  it(".dockerignore keeps secrets, local state and the checkout's own builds out of the build context", () => {
    const ignored = readFileSync(join(repo, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const must of [".git", ".tmp", "node_modules", "dist", "*.key", "id.txt", ".env"])
      expect(ignored).toContain(must);
  });
});
