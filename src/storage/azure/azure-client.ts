import {
  AnonymousCredential,
  BlobServiceClient,
  StorageSharedKeyCredential,
  type ContainerClient,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { UsageError } from "../../core/errors.js";
import type { AzureOptions } from "./azure-options.js";
import { endpointProtocol, idleTimeoutAgent } from "./idle-timeout-agent.js";
import { DEFAULT_STORAGE_TIMEOUT_MS } from "../storage-timeout.js";

/** The container client for `container`, authenticated as AzureOptions says. */
export function azureContainerClient(container: string, o: AzureOptions): ContainerClient {
  const env = process.env;
  const connectionString = o.connectionString ?? env.AZURE_STORAGE_CONNECTION_STRING;
  const account = o.accountName ?? env.AZURE_STORAGE_ACCOUNT;
  const endpoint = (
    o.endpoint ??
    env.AZURE_STORAGE_BLOB_ENDPOINT ??
    (account ? `https://${account}.blob.core.windows.net` : undefined)
  )?.replace(/\/+$/, "");
  const pipeline = pipelineOptions(o, connectionString ?? endpoint ?? "");
  if (connectionString)
    return BlobServiceClient.fromConnectionString(connectionString, pipeline).getContainerClient(container);
  if (!endpoint) {
    throw new UsageError(`no Azure storage account given for container ${container}`, {
      hint: "set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT (with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, or a managed identity)",
    });
  }
  const key = o.accountKey ?? env.AZURE_STORAGE_KEY;
  if (key) {
    if (!account)
      throw new UsageError("an Azure account key needs the account name", { hint: "set AZURE_STORAGE_ACCOUNT" });
    return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, key), pipeline).getContainerClient(
      container,
    );
  }
  const sas = o.sasToken ?? env.AZURE_STORAGE_SAS_TOKEN;
  if (sas)
    return new BlobServiceClient(
      `${endpoint}?${sas.replace(/^\?/, "")}`,
      new AnonymousCredential(),
      pipeline,
    ).getContainerClient(container);
  return new BlobServiceClient(endpoint, new LazyDefaultCredential(), pipeline).getContainerClient(container);
}

/**
 * The SDK's retries are off (maxTries 1): RetryingStorage owns the policy.
 * The agent gives every request the storage timeout (idle-timeout-agent.ts);
 * the SDK passes pipeline options it does not declare on to its HTTP pipeline,
 * which takes `agent`.
 */
function pipelineOptions(o: AzureOptions, where: string): StoragePipelineOptions {
  const options: StoragePipelineOptions & { agent?: ReturnType<typeof idleTimeoutAgent> } = {
    retryOptions: { maxTries: 1 },
    httpClient: o.httpClient as StoragePipelineOptions["httpClient"],
  };
  // A request that has an agent bypasses the SDK's proxy support: behind a proxy the proxy's agent is kept.
  if (!PROXY_VARIABLES.some((v) => process.env[v]))
    options.agent = idleTimeoutAgent(endpointProtocol(where), o.timeoutMs ?? DEFAULT_STORAGE_TIMEOUT_MS);
  return options;
}

const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/**
 * DefaultAzureCredential (managed identity, workload identity, environment,
 * `az login`), loaded on first use so runs with a key or SAS never pay for
 * importing @azure/identity.
 */
class LazyDefaultCredential implements TokenCredential {
  private inner: Promise<TokenCredential> | undefined;

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.inner ??= import("@azure/identity").then((m) => new m.DefaultAzureCredential());
    return (await this.inner).getToken(scopes, options);
  }
}
