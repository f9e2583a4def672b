import { describe, expect, it } from "vitest";
import { displayName } from "../../../src/repository/format/display-path.js";

describe("displayName", () => {
  it("keeps printable UTF-8 as is", () => {
    expect(displayName(Buffer.from("ünïcødé ☃ -x"))).toBe("ünïcødé ☃ -x");
  });

  it("escapes invalid bytes, controls, backslash and slash", () => {
    expect(displayName(Buffer.from([0xff, 0xfe]))).toBe("\\xff\\xfe");
    expect(displayName(Buffer.from("a\nb"))).toBe("a\\x0ab");
    expect(displayName(Buffer.from("a\\b/c"))).toBe("a\\x5cb\\x2fc");
    expect(displayName(Buffer.concat([Buffer.from("é"), Buffer.from([0xc3])]))).toBe("é\\xc3");
    // Overlong encoding of "/" must not sneak through as a slash.
    expect(displayName(Buffer.from([0xc0, 0xaf]))).toBe("\\xc0\\xaf");
  });

  it("never shows two different names alike", () => {
    expect(displayName(Buffer.from("\\xff"))).not.toBe(displayName(Buffer.from([0xff])));
  });
});
