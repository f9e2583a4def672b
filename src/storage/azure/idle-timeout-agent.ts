import { Agent as HttpAgent, type ClientRequestArgs } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Duplex } from "node:stream";

/**
 * A keep-alive agent whose sockets fail the request they carry once no byte
 * has gone either way for `ms` (connecting included), with an ETIMEDOUT
 * error the backend classifies as transient: the Azure SDK has no idle
 * timeout of its own (its per-try timeout would also cut a slow but moving
 * upload), so a store that accepts connections and never answers would hold
 * a request forever. An idle socket in the pool is simply closed.
 */
export function idleTimeoutAgent(protocol: "http:" | "https:", ms: number): HttpAgent {
  const agent = protocol === "http:" ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true });
  const open = (agent as unknown as Connector).createConnection.bind(agent);
  (agent as unknown as Connector).createConnection = (options, callback) => {
    const socket = open(options, callback);
    socket?.setTimeout(ms, () => {
      const inUse = (socket as unknown as { _httpMessage?: unknown })._httpMessage != null;
      socket.destroy(
        inUse
          ? Object.assign(new Error(`no answer from the storage within ${ms / 1000} s`), { code: "ETIMEDOUT" })
          : undefined,
      );
    });
    return socket;
  };
  return agent;
}

interface Connector {
  createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, socket: Duplex) => void,
  ): (Duplex & { setTimeout(ms: number, cb: () => void): unknown }) | undefined;
}

/** The scheme requests will use: a connection string's BlobEndpoint or DefaultEndpointsProtocol, else the endpoint's. */
export function endpointProtocol(connectionStringOrEndpoint: string): "http:" | "https:" {
  const blob = /(?:^|;)\s*BlobEndpoint=(https?):/i.exec(connectionStringOrEndpoint);
  const proto = /(?:^|;)\s*DefaultEndpointsProtocol=(https?)/i.exec(connectionStringOrEndpoint);
  const url = /^(https?):\/\//i.exec(connectionStringOrEndpoint);
  const dev = /UseDevelopmentStorage=true/i.test(connectionStringOrEndpoint);
  const scheme = (blob?.[1] ?? url?.[1] ?? proto?.[1] ?? (dev ? "http" : "https")).toLowerCase();
  return scheme === "http" ? "http:" : "https:";
}
