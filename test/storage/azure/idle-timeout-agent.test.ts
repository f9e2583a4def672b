import { createServer, type Server, type Socket } from "node:net";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointProtocol, idleTimeoutAgent } from "../../../src/storage/azure/idle-timeout-agent.js";

describe("endpointProtocol", () => {
  it.each([
    ["DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;EndpointSuffix=core.windows.net", "https:"],
    ["DefaultEndpointsProtocol=https;AccountName=a;BlobEndpoint=http://127.0.0.1:10000/a;", "http:"],
    ["UseDevelopmentStorage=true", "http:"],
    ["http://127.0.0.1:10000/devstoreaccount1", "http:"],
    ["https://acct.blob.core.windows.net", "https:"],
    ["", "https:"],
  ])("%s -> %s", (where, protocol) => {
    expect(endpointProtocol(where)).toBe(protocol);
  });
});

describe("idleTimeoutAgent", () => {
  let silent: Server;
  let port: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((s) => void sockets.add(s));
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((done) => silent.close(done));
  });

  it("fails a request that gets no answer with ETIMEDOUT", async () => {
    const agent = idleTimeoutAgent("http:", 200);
    const err = await new Promise<NodeJS.ErrnoException>((done) => {
      request({ host: "127.0.0.1", port, path: "/", agent }, () => undefined)
        .on("error", done)
        .end();
    });
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.message).toBe("no answer from the storage within 0.2 s");
    agent.destroy();
  });
});
