import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/exec/command-line.js";

describe("parseCommandLine", () => {
  it("splits words like a shell without running one", () => {
    expect(parseCommandLine(`pg_dump --format=plain "my db" 'a b'  x\\ y`)).toEqual([
      "pg_dump",
      "--format=plain",
      "my db",
      "a b",
      "x y",
    ]);
    expect(parseCommandLine(`echo "say \\"hi\\"" ''`)).toEqual(["echo", 'say "hi"', ""]);
  });

  it("keeps shell syntax inside quotes literal", () => {
    expect(parseCommandLine(`sh -c 'cat a | gzip; exit $?'`)).toEqual(["sh", "-c", "cat a | gzip; exit $?"]);
  });

  it("refuses unquoted shell syntax, an open quote and an empty command", () => {
    expect(() => parseCommandLine("pg_dump db | gzip")).toThrow(/shell syntax \(\|\)/);
    expect(() => parseCommandLine("pg_dump db > out")).toThrow(/shell/);
    expect(() => parseCommandLine("echo 'open")).toThrow(/unterminated/);
    expect(() => parseCommandLine("   ")).toThrow(/empty command/);
  });
});
