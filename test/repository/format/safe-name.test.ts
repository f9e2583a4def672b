import { describe, expect, it } from "vitest";
import { UnsafePathError } from "../../../src/core/errors.js";
import { safeName } from "../../../src/repository/format/safe-name.js";

describe("safeName", () => {
  it.each([
    ["ordinary", Buffer.from("file.txt")],
    ["non-UTF-8", Buffer.from([0xff, 0xfe])],
    ["dots inside", Buffer.from("...")],
    ["leading dash", Buffer.from("-rf")],
    ["255 bytes", Buffer.alloc(255, 0x61)],
  ])("accepts %s", (_label, raw) => {
    expect(safeName(raw)).toBe(raw);
  });

  it.each([
    ["empty", Buffer.alloc(0), /empty/],
    [".", Buffer.from("."), /'\.'/],
    ["..", Buffer.from(".."), /'\.\.'/],
    ["a slash", Buffer.from("a/b"), /'\/'/],
    ["an absolute path", Buffer.from("/etc/passwd"), /'\/'/],
    ["NUL", Buffer.from("a\0"), /NUL/],
    ["256 bytes", Buffer.alloc(256, 0x61), /256 bytes/],
  ])("rejects %s with UnsafePathError naming the entry", (_label, raw, why) => {
    let err: unknown;
    try {
      safeName(raw, "/dir");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsafePathError);
    expect((err as UnsafePathError).entry.startsWith("/dir/")).toBe(true);
    expect((err as UnsafePathError).message).toMatch(why);
  });
});
