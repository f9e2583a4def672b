import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { ConfigError, UsageError } from "../../src/core/errors.js";
import { generateIdentity, parseIdentity, parseIdentityFile, parseRecipient } from "../../src/crypto/age-keys.js";
import { ageCliSkipNote, ageKeygen, ageKeygenRecipient, hasAgeCli } from "./age-cli.js";

describe("age keys", () => {
  it("formats and parses generated identities and recipients", () => {
    const id = generateIdentity();
    expect(id.kind).toBe("x25519");
    expect(id.secret.length).toBe(32);
    expect(id.toString()).toMatch(/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
    expect(id.recipient.toString()).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    const again = parseIdentity(id.toString());
    expect(again.secret.equals(id.secret)).toBe(true);
    expect(again.recipient.publicKey.equals(id.recipient.publicKey)).toBe(true);
    expect(parseRecipient(id.recipient.toString()).publicKey.equals(id.recipient.publicKey)).toBe(true);
  });

  it("rejects malformed keys without echoing secrets", () => {
    const id = generateIdentity().toString();
    const bad = [id.toLowerCase(), id.slice(0, -1) + (id.endsWith("Q") ? "P" : "Q"), id.slice(0, 40), "age1abc", ""];
    for (const s of bad) {
      const err = (() => {
        try {
          parseIdentity(s);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).not.toContain(id.slice(20, 40));
    }
    expect(() => parseRecipient(id)).toThrow(UsageError);
    expect(() => parseRecipient(generateIdentity().recipient.toString().toUpperCase().replace("AGE1", "age1"))).toThrow(
      UsageError,
    );
  });

  it("keeps the secret out of inspect output", () => {
    const id = generateIdentity();
    expect(inspect(id)).not.toContain(id.toString());
    expect(inspect(id)).toContain(id.recipient.toString());
  });

  it("parses identity files with comments, blank lines and CRLF", () => {
    const a = generateIdentity();
    const b = generateIdentity();
    const text = `# created: now\r\n# public key: ${a.recipient}\r\n\r\n${a}\r\n  ${b}  \n# trailing\n`;
    const ids = parseIdentityFile(text, "keys.txt");
    expect(ids.map((i) => i.toString())).toEqual([a.toString(), b.toString()]);
  });

  it("names the file and line for junk, and says what was expected", () => {
    const a = generateIdentity();
    const cases: [string, RegExp, number | undefined][] = [
      [`# c\n${a}\nnot a key\n`, /keys\.txt:3: .*expected AGE-SECRET-KEY-1/, 3],
      [`${a.recipient}\n`, /keys\.txt:1: .*recipient \(public key\), not an identity/, 1],
      ["age-encryption.org/v1\n-> scrypt x\n", /encrypted identity file/, 1],
      ["# only comments\n\n", /keys\.txt: no age identity found/, undefined],
      ["", /no age identity found/, undefined],
    ];
    for (const [text, message, line] of cases) {
      try {
        parseIdentityFile(text, "keys.txt");
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).message).toMatch(message);
        expect((err as ConfigError).file).toBe("keys.txt");
        expect((err as ConfigError).line).toBe(line);
      }
    }
  });
});

describe(`age-keygen interop${ageCliSkipNote}`, () => {
  it.skipIf(!hasAgeCli)("parses age-keygen identities and derives the same recipient", () => {
    for (let i = 0; i < 3; i++) {
      const file = ageKeygen();
      const [id] = parseIdentityFile(file, "age-keygen output");
      expect(id.recipient.toString()).toBe(ageKeygenRecipient(file));
      expect(file).toContain(id.toString());
      expect(parseIdentity(id.toString()).recipient.toString()).toBe(id.recipient.toString());
    }
  });
});
