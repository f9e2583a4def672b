import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, errorFields, redactUrl } from "../../src/agent/logger.js";
import { CairnError } from "../../src/core/errors.js";

function capture(level: string): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  let text = "";
  const log = createLogger(level, new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) }));
  return {
    log,
    lines: () =>
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  it("writes the level as a word, the time as ISO-8601 and an error as an err object with code and hint", () => {
    const { log, lines } = capture("info");
    log.info({ event: "agent_started" }, "hello");
    const err = new CairnError("E_STORAGE", "bucket b: access denied", 1, { hint: "grant s3:PutObject" });
    log.error({ event: "job_run", err }, "failed");
    const [info, error] = lines();
    expect(info).toMatchObject({ level: "info", name: "cairn", event: "agent_started", msg: "hello" });
    expect(info.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(error.level).toBe("error");
    expect(error.err).toEqual({
      type: "CairnError",
      message: "bucket b: access denied",
      code: "E_STORAGE",
      hint: "grant s3:PutObject",
    });
  });

  it("adds the stack only at debug; a system error keeps its errno code, a wrapped one its cause", () => {
    const e = Object.assign(new Error("EROFS: read-only file system, open '/cache/x'"), { code: "EROFS" });
    const atInfo = capture("info");
    atInfo.log.warn({ err: e }, "x");
    expect(atInfo.lines()[0].err).toEqual({ type: "Error", message: e.message, code: "EROFS" });
    const atDebug = capture("debug");
    atDebug.log.warn({ err: new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") }) }, "x");
    expect(atDebug.lines()[0].err).toMatchObject({
      type: "TypeError",
      cause: "connect ECONNREFUSED",
      stack: expect.stringContaining("TypeError: fetch failed"),
    });
    expect(errorFields("plain text")).toEqual({ type: "string", message: "plain text" });
  });
});

describe("redactUrl", () => {
  it("keeps only scheme and host of webhook URLs, whose path and query carry the secret", () => {
    expect(redactUrl("https://hc-ping.com/5f2e8c1a-uuid/fail")).toBe("https://hc-ping.com/…");
    expect(redactUrl("https://user:pw@ntfy.example/backups-topic?auth=tok")).toBe("https://ntfy.example/…");
    expect(redactUrl("https://hooks.slack.com")).toBe("https://hooks.slack.com");
    expect(redactUrl("s3://bucket/prefix/app?sig=x")).toBe("s3://bucket/prefix/app");
  });
});
