import { describe, expect, it } from "vitest";
import { ageDecrypt, ageEncrypt } from "../../src/crypto/age-file.js";
import { generateIdentity } from "../../src/crypto/age-keys.js";
import { IntegrityError } from "../../src/core/errors.js";
import { PackDecrypter } from "../../src/repository/pack-decrypter.js";

describe("PackDecrypter (whole packs decrypted on a worker thread)", () => {
  const id = generateIdentity();
  const plain = Buffer.alloc(300_000);
  for (let i = 0; i < plain.length; i++) plain[i] = (i * 7919) & 0xff;

  it("returns what ageDecrypt returns, for several packs at once", async () => {
    const d = new PackDecrypter();
    try {
      const files = [0, 1, 2].map((n) => ageEncrypt(plain.subarray(n * 1000), [id.recipient]));
      const expected = files.map((f) => ageDecrypt(f, [id], "x"));
      const got = await Promise.all(files.map((f) => d.decrypt(Buffer.from(f), [id], "x")));
      got.forEach((g, i) => expect(g.equals(expected[i]!)).toBe(true));
    } finally {
      await d.close();
    }
  });

  it("rejects a damaged pack with an IntegrityError naming it, and a wrong identity too", async () => {
    const d = new PackDecrypter();
    try {
      const file = ageEncrypt(plain, [id.recipient]);
      const bad = Buffer.from(file);
      bad[bad.length - 10] ^= 1;
      await expect(d.decrypt(bad, [id], "data/12/1234")).rejects.toSatisfy(
        (e: unknown) => e instanceof IntegrityError && /data\/12\/1234/.test(e.message),
      );
      await expect(d.decrypt(Buffer.from(file), [generateIdentity()], "data/56/5678")).rejects.toThrow(
        /5678|identity|key/i,
      );
      // Still usable after failures.
      expect((await d.decrypt(Buffer.from(file), [id], "ok")).equals(plain)).toBe(true);
    } finally {
      await d.close();
    }
  });
});
