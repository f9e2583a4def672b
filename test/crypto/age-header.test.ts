import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { IntegrityError, WrongKeyError } from "../../src/core/errors.js";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import { AGE_MAX_HEADER_LENGTH, encodeHeader, parseHeader, type Stanza } from "../../src/crypto/age-header.js";
import { wrapFileKey } from "../../src/crypto/age-x25519.js";
import { ageDecrypt, ageEncrypt, ageHeaderLength, ageOpenHeader } from "../../src/crypto/age-file.js";

function expectIntegrity(fn: () => unknown, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IntegrityError);
    if (message) expect((err as Error).message).toMatch(message);
    return;
  }
  expect.unreachable("expected IntegrityError");
}

/** A header with a real X25519 stanza for `id` plus foreign stanzas, and a valid MAC. */
function headerWith(foreign: Stanza[]) {
  const id = generateIdentity();
  const fileKey = randomBytes(16);
  return { id, fileKey, header: encodeHeader([...foreign, wrapFileKey(fileKey, id.recipient)], fileKey) };
}

describe("age header", () => {
  it("locates the header end only once the whole header is there", () => {
    const file = ageEncrypt(randomBytes(100), [generateIdentity().recipient, generateIdentity().recipient]);
    const length = ageHeaderLength(file)!;
    expect(file.subarray(length - 48, length).toString("latin1")).toMatch(/^--- [A-Za-z0-9+/]{43}\n$/);
    for (let n = 0; n < length; n++) expect(ageHeaderLength(file.subarray(0, n))).toBeUndefined();
    expect(ageHeaderLength(file.subarray(0, length))).toBe(length);
  });

  it("rejects non-age input early and bounds the header size", () => {
    expectIntegrity(
      () => ageHeaderLength(Buffer.from("age-encryption.org/v2\n")),
      /not an age-encryption.org\/v1 file/,
    );
    expectIntegrity(() => ageHeaderLength(Buffer.from("PK\x03\x04")));
    const endless = Buffer.concat([Buffer.from("age-encryption.org/v1\n"), Buffer.alloc(AGE_MAX_HEADER_LENGTH, "A")]);
    expectIntegrity(() => ageHeaderLength(endless), /no end of header/);
    expectIntegrity(() => ageDecrypt(endless, [generateIdentity()], "x"), /no end of header/);
    expectIntegrity(() => ageDecrypt(endless.subarray(0, 1000), [generateIdentity()], "x"), /truncated header/);
  });

  it("wraps stanza bodies at 64 columns, ending with a short line, and skips unknown stanzas", () => {
    for (const bodyLength of [0, 1, 47, 48, 49, 96, 100]) {
      const foreign = { args: ["example.com/test", "a", "b"], body: randomBytes(bodyLength) };
      const { id, fileKey, header } = headerWith([foreign]);
      const lines = header.toString("latin1").split("\n");
      expect(lines.filter((l) => l.length > 64)).toEqual([]);
      const parsed = parseHeader(header, "t");
      expect(parsed.stanzas[0]).toEqual(foreign);
      expect(ageOpenHeader(header, [id], "t").fileKey.equals(fileKey)).toBe(true);
    }
  });

  it("rejects malformed headers with IntegrityError", () => {
    const { id, header } = headerWith([]);
    const text = header.toString("latin1");
    const [version, stanzaLine, body] = text.split("\n");
    const mac = text.slice(text.indexOf("\n---") + 1);
    const bad = [
      `${version}\n${mac}`, // no stanzas
      `${version}\n${stanzaLine}\n${mac}`, // stanza without body line
      `${version}\n${stanzaLine} \n${body}\n${mac}`, // empty argument
      `${version}\n${stanzaLine}\n${body}=\n${mac}`, // padding
      `${version}\n${stanzaLine}\n${"A".repeat(65)}\n${mac}`, // long line
      `${version}\n${stanzaLine}\n${body.slice(0, -1)}B\n${mac}`, // non-canonical base64 (non-zero pad bits)
      `${version}\n${stanzaLine}\n${body}\n---\n`, // no MAC
      `${version}\n${stanzaLine}\n${body}\n--- ${"A".repeat(42)}\n`, // short MAC
      `${version}\n${stanzaLine}\n${body}\n${mac.replace("---", "---\x01")}`, // control character
      `${version}\n-> X25519\n${body}\n${mac}`, // X25519 stanza without share
      `${version}\n-> X25519 AAAA\n${body}\n${mac}`, // share too short
      `${version}\n${stanzaLine}\n${body.slice(0, 20)}\n${mac}`, // body too short
    ];
    for (const h of bad) expectIntegrity(() => ageOpenHeader(Buffer.from(h, "latin1"), [id], "t"));
  });

  it("rejects a low-order ephemeral share", () => {
    const { id, header } = headerWith([]);
    const text = header.toString("latin1").replace(/-> X25519 \S+/, `-> X25519 ${"A".repeat(43)}`);
    expectIntegrity(() => ageOpenHeader(Buffer.from(text, "latin1"), [id], "t"), /low-order/);
  });

  it("reports WrongKeyError, not IntegrityError, when only foreign stanzas are present", () => {
    const { header } = headerWith([{ args: ["scrypt", "salt", "18"], body: randomBytes(32) }]);
    expect(() => ageOpenHeader(header, [generateIdentity()], "t")).toThrow(WrongKeyError);
  });

  it("rejects a header whose MAC does not match", () => {
    const { id, header } = headerWith([{ args: ["example.com/x"], body: randomBytes(5) }]);
    const tampered = Buffer.from(header.toString("latin1").replace("example.com/x", "example.com/y"), "latin1");
    expectIntegrity(() => ageOpenHeader(tampered, [id], "t"), /header MAC mismatch/);
  });
});
