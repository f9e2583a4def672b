import { describe, expect, it } from "vitest";
import { ScratchBuffer } from "../../src/core/scratch-buffer.js";

describe("ScratchBuffer", () => {
  it("hands out the same memory while it is large enough, and grows when asked for more", () => {
    const s = new ScratchBuffer();
    const a = s.atLeast(100);
    expect(a.length).toBeGreaterThanOrEqual(100);
    expect(s.atLeast(50)).toBe(a);
    const b = s.atLeast(1000);
    expect(b).not.toBe(a);
    expect(b.length).toBeGreaterThanOrEqual(1000);
    expect(s.atLeast(1000)).toBe(b);
  });

  it("starts at its minimum size, so small requests do not each grow it", () => {
    const s = new ScratchBuffer(4096);
    const a = s.atLeast(10);
    expect(a.length).toBe(4096);
    expect(s.atLeast(4000)).toBe(a);
  });
});
