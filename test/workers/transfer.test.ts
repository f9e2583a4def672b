import { describe, expect, it } from "vitest";
import { copyIntoOne, ownBuffer, ownsBuffer, transferable } from "../../src/workers/transfer.js";

describe("transfer helpers", () => {
  it("copyIntoOne copies the parts, in order, into views of one new buffer", () => {
    const source = Buffer.from("abcdefgh");
    const parts = [source.subarray(2, 5), Buffer.from("xy"), new Uint8Array(0)];
    const views = copyIntoOne(parts);
    expect(views.map((v) => Buffer.from(v).toString())).toEqual(["cde", "xy", ""]);
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    expect(views[0]!.buffer.byteLength).toBe(5);
    expect(views[0]!.buffer).not.toBe(source.buffer);
  });

  it("a view is copied before it is sent, a whole buffer is moved as it is", () => {
    const whole = new Uint8Array(16);
    const view = whole.subarray(4, 8);
    expect(ownsBuffer(whole)).toBe(true);
    expect(ownsBuffer(view)).toBe(false);
    expect(ownBuffer(whole)).toBe(whole);
    expect(ownBuffer(view).buffer.byteLength).toBe(4);
    expect(transferable(whole)).toEqual([whole.buffer]);
    expect(transferable(view)).toEqual([]);
  });
});
