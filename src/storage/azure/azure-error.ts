import { NotFoundError, StorageError } from "../../core/errors.js";
import { abortedOr, storageFailure, type HttpFailure } from "../http-error.js";

interface RestErrorShape {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  response?: { headers?: { get?(name: string): string | undefined } };
}

// Permanent faults the user fixes; `{container}` is filled in.
const HINTS: Record<string, string> = {
  ContainerNotFound:
    "container {container} does not exist: create it (az storage container create -n {container}), or fix the name in --repo",
  AuthenticationFailed:
    "the storage account rejected the credentials: check AZURE_STORAGE_CONNECTION_STRING / AZURE_STORAGE_KEY, or the SAS token's expiry",
  // Real accounts and azurite also answer a bad key or SAS signature with this code.
  AuthorizationFailure:
    "the account refused this request for container {container}: check the credentials (AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY, or the SAS token's expiry and permissions) and that this identity has the role listed in docs/STORAGE.md",
  AuthorizationPermissionMismatch:
    "this identity lacks a permission on container {container}: see the RBAC roles and SAS permissions in docs/STORAGE.md",
  AuthorizationResourceTypeMismatch:
    "the SAS token does not cover this resource type: issue it for container and object (srt=co)",
  InvalidAuthenticationInfo: "the credentials are malformed: check the account key or SAS token",
  CredentialUnavailableError:
    "no Azure credential found: set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or run with a managed identity",
  AuthenticationError:
    "Azure AD authentication failed: check the managed identity / service principal (AZURE_CLIENT_ID, AZURE_TENANT_ID)",
  BlobArchived: "the blob is in the Archive tier: rehydrate it, and use Hot, Cool or Cold for repositories",
  FeatureNotSupported:
    "the store does not support a requested feature (immutability needs version-level immutability on the container)",
};

/** Maps an Azure SDK failure to a StorageError naming the container and blob. */
export function azureError(
  backend: string,
  container: string,
  key: string | undefined,
  err: unknown,
  signal?: AbortSignal,
  missingIsNotFound = false,
): Error {
  if (err instanceof StorageError) return err;
  const aborted = abortedOr(err, signal);
  if (aborted) return aborted;
  const f = failureOf(err);
  const notFound = f.code === "BlobNotFound" || (f.status === 404 && f.code !== "ContainerNotFound");
  if (missingIsNotFound && key !== undefined && notFound) return new NotFoundError(backend, key, { cause: err });
  const byCode = f.code === undefined ? undefined : HINTS[f.code];
  const hint = byCode ?? (f.status === 403 ? HINTS.AuthorizationPermissionMismatch : undefined);
  // A missing container is not a missing blob: drop the 404 (see s3-error.ts).
  const failure = f.code === "ContainerNotFound" ? { ...f, status: undefined } : f;
  return storageFailure(backend, key, failure, hint?.replaceAll("{container}", container), err);
}

function failureOf(err: unknown): HttpFailure {
  const e = (err ?? {}) as RestErrorShape;
  const code = e.name === "RestError" || e.name === "Error" || e.name === undefined ? e.code : e.name;
  return {
    status: e.statusCode,
    code: code ?? e.code,
    message: firstLine(e.message || String(err)),
    retryAfter: e.response?.headers?.get?.("retry-after"),
  };
}

// Azure messages carry the request id and time on further lines; the first says what happened.
function firstLine(s: string): string {
  return s.split("\n")[0];
}
