/**
 * Byte compatibility with other age implementations: the age-encryption
 * library (typage) and Debian's `age` CLI (Go). Cairn's repository format
 * promises `age -d` can open every pack and sealed object.
 */
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { Decrypter, Encrypter } from "age-encryption";
import { generateIdentity, parseIdentityFile } from "../../src/crypto/age-keys.js";
import { AGE_CHUNK_SIZE, ageDecrypt, ageEncrypt } from "../../src/crypto/age-file.js";
import { ageCliDecrypt, ageCliEncrypt, ageCliSkipNote, ageKeygen, hasAgeCli } from "./age-cli.js";

const K = AGE_CHUNK_SIZE;
const SIZES = [0, 1, K - 1, K, K + 1, 3 * K, 5 * 1024 * 1024 + 3];

describe("interop with the age-encryption library", () => {
  it.each(SIZES)("the library decrypts our %i-byte files", async (size) => {
    const id = generateIdentity();
    const other = generateIdentity();
    const plain = randomBytes(size);
    const file = ageEncrypt(plain, [other.recipient, id.recipient]);
    const d = new Decrypter();
    d.addIdentity(id.toString());
    expect(Buffer.from(await d.decrypt(file)).equals(plain)).toBe(true);
  });

  it.each([0, 1, K, 2 * K + 5])("we decrypt the library's %i-byte files", async (size) => {
    const id = generateIdentity();
    const plain = randomBytes(size);
    const e = new Encrypter();
    e.addRecipient(id.recipient.toString());
    expect(ageDecrypt(await e.encrypt(plain), [id], "lib").equals(plain)).toBe(true);
  });
});

describe(`interop with the age CLI${ageCliSkipNote}`, () => {
  it.skipIf(!hasAgeCli).each(SIZES)("`age -d` decrypts our %i-byte files", (size) => {
    const keyFile = ageKeygen();
    const [id] = parseIdentityFile(keyFile, "keygen");
    const plain = randomBytes(size);
    const file = ageEncrypt(plain, [generateIdentity().recipient, id.recipient]);
    expect(ageCliDecrypt(file, keyFile).equals(plain)).toBe(true);
  });

  it.skipIf(!hasAgeCli).each(SIZES)("we decrypt `age -r` %i-byte files", (size) => {
    const id = generateIdentity();
    const plain = randomBytes(size);
    const file = ageCliEncrypt(plain, [generateIdentity().recipient.toString(), id.recipient.toString()]);
    expect(ageDecrypt(file, [id], "cli").equals(plain)).toBe(true);
  });

  it.skipIf(!hasAgeCli)("`age -d` rejects our files when tampered or truncated", () => {
    const keyFile = ageKeygen();
    const [id] = parseIdentityFile(keyFile, "keygen");
    const file = ageEncrypt(randomBytes(2 * K), [id.recipient]);
    const tampered = Buffer.from(file);
    tampered[file.length - 100] ^= 1;
    expect(() => ageCliDecrypt(tampered, keyFile)).toThrow();
    expect(() => ageCliDecrypt(file.subarray(0, file.length - (K + 16)), keyFile)).toThrow();
  });
});
