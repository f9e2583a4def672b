import { UsageError } from "../core/errors.js";

export interface BucketLocation {
  /** S3 bucket or Azure container. */
  bucket: string;
  /** Repository prefix inside it, without leading or trailing `/` ("" for the root). */
  prefix: string;
}

/**
 * Parses `s3://bucket/prefix` or `azure://container/prefix` (the same syntax
 * on the command line and in the YAML config). Backend options such as the
 * endpoint or the storage class are flags and environment variables, never
 * part of the URL, so a URL can be logged without leaking anything.
 */
export function parseBucketUrl(url: string, scheme: "s3" | "azure", namePattern: RegExp, what: string): BucketLocation {
  const m = new RegExp(`^${scheme}://([^/?#]*)(/[^?#]*)?$`, "i").exec(url);
  const example = `${scheme}://my-${what}/backups/app1`;
  if (!m)
    throw new UsageError(`cannot parse ${JSON.stringify(url)} as a ${scheme}:// repository URL`, {
      hint: `write ${example}; options go in flags or environment variables, not in the URL`,
    });
  const bucket = m[1];
  if (!namePattern.test(bucket)) {
    throw new UsageError(`${JSON.stringify(bucket)} in ${JSON.stringify(url)} is not a valid ${what} name`, {
      hint: `write ${example}`,
    });
  }
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix.split("/").some((c) => c === "." || c === "..")) {
    throw new UsageError(`${JSON.stringify(url)}: the prefix may not contain . or .. components`);
  }
  return { bucket, prefix };
}

// S3 bucket naming rules (3-63 chars, lower case, digits, dots, hyphens); S3-compatible
// stores accept the same set, and a typo caught here is clearer than a signature error.
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Azure container naming rules: 3-63 chars, lower case letters, digits and single hyphens.
export const AZURE_CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
