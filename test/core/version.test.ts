import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PROGRAM, VERSION } from "../../src/core/version.js";
import { runCli } from "../e2e/helpers/run-cli.js";

describe("version", () => {
  it("is package.json's, in the snapshot's program and in `cairn --version`", async () => {
    const manifest = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(VERSION).toBe(manifest.version);
    expect(PROGRAM).toBe(`cairn ${manifest.version}`);
    const r = await runCli(["--version"]);
    expect(r.stdout.trim()).toBe(manifest.version);
  });
});
