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

/**
 * The container client for `container`, authenticated as AzureOptions says.
 * The SDK's retries are off (maxTries 1): RetryingStorage owns the policy.
 */
export function azureContainerClient(container: string, o: AzureOptions): ContainerClient {
  const env = process.env;
  const pipeline: StoragePipelineOptions = {
    retryOptions: { maxTries: 1 },
    httpClient: o.httpClient as StoragePipelineOptions["httpClient"],
  };
  const connectionString = o.connectionString ?? env.AZURE_STORAGE_CONNECTION_STRING;
  if (connectionString)
    return BlobServiceClient.fromConnectionString(connectionString, pipeline).getContainerClient(container);
  const account = o.accountName ?? env.AZURE_STORAGE_ACCOUNT;
  const endpoint = (
    o.endpoint ??
    env.AZURE_STORAGE_BLOB_ENDPOINT ??
    (account ? `https://${account}.blob.core.windows.net` : undefined)
  )?.replace(/\/+$/, "");
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
