import { describe, expect, it } from "vitest";
import { DEFAULT_CHUNKER_PARAMS } from "../../../src/chunker/fastcdc.js";
import { AgentKey } from "../../../src/crypto/agent-key.js";
import { newRepoConfig, openConfig, sealConfig } from "../../../src/repository/format/repo-config.js";

describe("repository config: chunker normalization", () => {
  const agent = AgentKey.generate();

  it("a new repository records normalization level 1 with the chunk sizes", () => {
    const c = openConfig(
      agent,
      sealConfig(
        agent,
        newRepoConfig({ chunker: DEFAULT_CHUNKER_PARAMS, packSize: 1 << 24, compressionLevel: 3, now: new Date() }),
      ),
    );
    expect(c.chunker).toEqual({ min: 512 * 1024, avg: 1024 * 1024, max: 8 * 1024 * 1024, normalization: 1 });
  });

  it("a config written before the field existed still opens, without a level (the chunker then uses 2)", () => {
    const c = openConfig(
      agent,
      sealConfig(
        agent,
        newRepoConfig({
          chunker: { min: 1024, avg: 4096, max: 16384 },
          packSize: 1 << 24,
          compressionLevel: 3,
          now: new Date(),
        }),
      ),
    );
    expect(c.chunker).toEqual({ min: 1024, avg: 4096, max: 16384 });
  });

  it("refuses a level outside 0-3", () => {
    const bad = newRepoConfig({
      chunker: { min: 1024, avg: 4096, max: 16384, normalization: 9 },
      packSize: 1 << 24,
      compressionLevel: 3,
      now: new Date(),
    });
    expect(() => openConfig(agent, sealConfig(agent, bad))).toThrow(/config/);
  });
});
