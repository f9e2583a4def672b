import { fileURLToPath } from "node:url";
import { UsageError } from "../../core/errors.js";
import { AZURE_CONTAINER_NAME, parseBucketUrl, S3_BUCKET_NAME, type BucketLocation } from "../bucket-url.js";

/** Where a repository location points, parsed but not opened. */
export type StorageLocation =
  { kind: "local"; path: string } | { kind: "s3"; bucket: BucketLocation } | { kind: "azure"; bucket: BucketLocation };

/**
 * Parses a repository location: a plain path, `file:///abs/path`,
 * `local:path`, `s3://bucket/prefix` or `azure://container/prefix`. The one
 * parser behind openStorage and the config's validation (which must refuse
 * exactly what opening would refuse, without opening anything); a malformed
 * location is a UsageError saying what to write instead.
 */
export function parseStorageUrl(url: string): StorageLocation {
  if (url.trim() === "") throw new UsageError("repository location is empty");
  const scheme = schemeOf(url);
  switch (scheme) {
    case undefined:
      return { kind: "local", path: url };
    case "file:":
      return { kind: "local", path: filePath(url) };
    case "local:":
      return { kind: "local", path: nonEmpty(url.slice("local:".length), url) };
    case "s3:":
      return { kind: "s3", bucket: parseBucketUrl(url, "s3", S3_BUCKET_NAME, "bucket") };
    case "azure:":
      return { kind: "azure", bucket: parseBucketUrl(url, "azure", AZURE_CONTAINER_NAME, "container") };
    default:
      throw new UsageError(`unknown repository scheme ${JSON.stringify(scheme)} in ${JSON.stringify(url)}`, {
        hint: `use a path, file://, local:, s3:// or azure://`,
      });
  }
}

function filePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (e) {
    throw new UsageError(`cannot read ${JSON.stringify(url)} as a file:// URL: ${(e as Error).message}`, {
      hint: "write file:///absolute/path (three slashes), or the path itself",
    });
  }
}

function nonEmpty(path: string, url: string): string {
  if (path === "") throw new UsageError(`no path in ${JSON.stringify(url)}`, { hint: "write local:/path/to/repo" });
  return path;
}

// Two or more letters before the colon, so a Windows drive (`C:\repo`) stays a path.
function schemeOf(url: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(url);
  return m ? `${m[1].toLowerCase()}:` : undefined;
}

/** Why `endpoint` cannot be an S3-compatible store's endpoint (`http(s)://host[:port]`), or undefined when it can. */
export function endpointProblem(endpoint: string): string | undefined {
  try {
    if (/^https?:$/.test(new URL(endpoint).protocol)) return undefined;
  } catch {
    // not a URL at all: the same answer
  }
  return `${JSON.stringify(endpoint)} is not an http:// or https:// URL, e.g. https://minio.internal:9000`;
}
