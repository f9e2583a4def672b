import { describe, expect, it } from "vitest";
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { ConfigError } from "../../src/core/errors.js";
import { BlobType } from "../../src/core/ids.js";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { parseIdentity, parseIdentityFile } from "../../src/crypto/age-keys.js";

/** Independent restatement of the documented subkey derivation. */
function subkey(secret: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "cairn-v1", info, 32));
}

describe("AgentKey", () => {
  it("round-trips through its file format, which is an age identity file", () => {
    const key = AgentKey.generate();
    const text = key.toFileContents();
    expect(text).toMatch(/^# cairn agent key[^\n]*\n# public key: age1\w+\nAGE-SECRET-KEY-1\w+\n$/);
    const again = AgentKey.parse(text, "agent.key");
    expect(again.identity.toString()).toBe(key.identity.toString());
    expect(again.recipient.toString()).toBe(key.recipient.toString());
    expect(parseIdentityFile(text, "agent.key")[0].toString()).toBe(key.identity.toString());
    expect(AgentKey.parse(key.identity.toString(), "CAIRN_AGENT_KEY").recipient.toString()).toBe(
      key.recipient.toString(),
    );
  });

  it("derives the documented subkeys deterministically", () => {
    const key = AgentKey.generate();
    const same = AgentKey.parse(key.toFileContents(), "f");
    const secret = key.identity.secret;
    expect(key.gearKey.equals(subkey(secret, "cairn gear"))).toBe(true);
    expect(same.gearKey.equals(key.gearKey)).toBe(true);
    const data = randomBytes(1000);
    const expectedId = createHmac("sha256", subkey(secret, "cairn blob-id"))
      .update(Buffer.of(0))
      .update(data)
      .digest("hex");
    expect(key.blobId(BlobType.Data, data)).toBe(expectedId);
    expect(same.blobId(BlobType.Data, data)).toBe(expectedId);
    const expectedMac = createHmac("sha256", subkey(secret, "cairn mac")).update("index\0").update(data).digest();
    expect(key.mac("index", data).equals(expectedMac)).toBe(true);
  });

  it("separates blob IDs by type and by key, and hashes parts as their concatenation", () => {
    const key = AgentKey.generate();
    const data = randomBytes(100);
    const ids = [BlobType.Data, BlobType.Tree, BlobType.Skeleton].map((t) => key.blobId(t, data));
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(AgentKey.generate().blobId(BlobType.Data, data)).not.toBe(ids[0]);
    expect(key.blobId(BlobType.Data, data.subarray(0, 30), data.subarray(30))).toBe(ids[0]);
    expect(key.blobId(BlobType.Data)).toBe(key.blobId(BlobType.Data, new Uint8Array()));
  });

  it("binds the MAC to the kind", () => {
    const key = AgentKey.generate();
    const body = randomBytes(10);
    expect(key.mac("index", body).equals(key.mac("snapshot", body))).toBe(false);
    expect(key.mac("ab", Buffer.from("c")).equals(key.mac("a", Buffer.from("bc")))).toBe(false);
    expect(() => key.mac("a\0b", body)).toThrow(TypeError);
  });

  it("rejects bad key files with errors naming the source", () => {
    const a = AgentKey.generate().toFileContents();
    const b = AgentKey.generate().identity.toString();
    const cases: [string, RegExp][] = [
      ["", /agent\.key: no age identity found/],
      ["# just a comment\n", /agent\.key: no age identity found/],
      [`${a}${b}\n`, /agent\.key: an agent key file holds exactly one AGE-SECRET-KEY-1 line, found 2/],
      ["hunter2\n", /agent\.key:1: .*expected AGE-SECRET-KEY-1/],
    ];
    for (const [text, message] of cases) {
      expect(() => AgentKey.parse(text, "agent.key")).toThrow(ConfigError);
      expect(() => AgentKey.parse(text, "agent.key")).toThrow(message);
    }
  });

  it("keeps the secret out of inspect output", () => {
    const key = AgentKey.generate();
    expect(inspect(key)).not.toContain(key.identity.toString());
    expect(inspect({ key })).not.toContain(key.identity.toString());
    expect(parseIdentity(key.identity.toString()).recipient.toString()).toBe(key.recipient.toString());
  });
});
