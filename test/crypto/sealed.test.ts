import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { IntegrityError, WrongKeyError } from "../../src/core/errors.js";
import { AgentKey } from "../../src/crypto/agent-key.js";
import { seal, unseal } from "../../src/crypto/sealed.js";
import { ageEncrypt } from "../../src/crypto/age-file.js";
import { ageCliDecrypt, ageCliSkipNote, hasAgeCli } from "./age-cli.js";

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("seal / unseal", () => {
  const agent = AgentKey.generate();

  it.each([0, 1, 1000, 65536 - 32, 65536, 200_000])("round-trips a %i-byte body", (size) => {
    const body = randomBytes(size);
    expect(unseal(agent, "index", seal(agent, "index", body), "index/abc").equals(body)).toBe(true);
  });

  it("gives WrongKeyError with a hint for another agent key", () => {
    const sealed = seal(agent, "snapshot", randomBytes(50));
    const err = errorOf(() => unseal(AgentKey.generate(), "snapshot", sealed, "snapshots/1234"));
    expect(err).toBeInstanceOf(WrongKeyError);
    expect((err as Error).message).toBe(
      "snapshots/1234 was not sealed with this agent key; check --agent-key-file / CAIRN_AGENT_KEY",
    );
  });

  it("rejects an object sealed as another kind", () => {
    const sealed = seal(agent, "skeleton", randomBytes(50));
    const err = errorOf(() => unseal(agent, "snapshot", sealed, "snapshots/1234"));
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).objectKey).toBe("snapshots/1234");
    expect((err as Error).message).toMatch(/MAC mismatch/);
  });

  it("rejects objects forged with only the public recipient", () => {
    for (const plain of [randomBytes(100), randomBytes(5), new Uint8Array()]) {
      const forged = ageEncrypt(plain, [agent.recipient]);
      expect(errorOf(() => unseal(agent, "index", forged, "index/x"))).toBeInstanceOf(IntegrityError);
    }
  });

  it("rejects tampering and truncation with IntegrityError naming the object", () => {
    const sealed = seal(agent, "index", randomBytes(70_000));
    for (const at of [sealed.indexOf("\n---") + 10, sealed.length - 1, sealed.length - 40, 300, 30_000]) {
      const copy = Buffer.from(sealed);
      copy[at] ^= 0x20;
      const err = errorOf(() => unseal(agent, "index", copy, "index/x"));
      expect(err, `byte ${at}`).toBeInstanceOf(IntegrityError);
      expect((err as Error).message).toContain("index/x");
    }
    for (const cut of [0, 50, 200, sealed.length - 1]) {
      expect(errorOf(() => unseal(agent, "index", sealed.subarray(0, cut), "index/x"))).toBeInstanceOf(IntegrityError);
    }
  });
});

describe(`sealed objects open with the age CLI${ageCliSkipNote}`, () => {
  it.skipIf(!hasAgeCli)("`age -d -i <agent key file>` yields body || mac", () => {
    const agent = AgentKey.generate();
    const body = randomBytes(100_000);
    const plain = ageCliDecrypt(seal(agent, "index", body), agent.toFileContents());
    expect(plain.equals(Buffer.concat([body, agent.mac("index", body)]))).toBe(true);
  });
});
