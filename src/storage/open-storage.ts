import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.js";
import type { Storage } from "./storage.js";
import { LocalStorage } from "./local-storage.js";
import { RetryingStorage, type RetryOptions } from "./retrying-storage.js";

export interface OpenStorageOptions {
  retry?: RetryOptions;
}

type Opener = (url: string) => Promise<Storage>;

const notYet = (what: string): Opener => async () => {
  throw new UsageError(`${what} backend not available yet`, {
    hint: "use a local path, file:///abs/path or local:path for now",
  });
};

/**
 * Backends by URL scheme. Extension point: the S3 and Azure backends replace
 * their entries here (e.g. `"s3:": (url) => S3Storage.fromUrl(url)`); nothing
 * else needs to change, since retry is applied to every backend below.
 */
const OPENERS: Record<string, Opener> = {
  "file:": async (url) => new LocalStorage(fileURLToPath(url)),
  "local:": async (url) => new LocalStorage(nonEmpty(url.slice("local:".length), url)),
  "s3:": notYet("S3"),
  "azure:": notYet("Azure"),
};

/**
 * Opens the repository location `url`: a plain path, `file:///abs/path`,
 * `local:path`, or (later) `s3://bucket/prefix` and `azure://container/prefix`.
 * The result retries transient faults.
 *
 * @example
 * const storage = await openStorage("/srv/backups/repo");
 */
export async function openStorage(url: string, opts: OpenStorageOptions = {}): Promise<Storage> {
  if (url.trim() === "") throw new UsageError("repository location is empty");
  const scheme = schemeOf(url);
  const open = scheme === undefined ? async () => new LocalStorage(url) : OPENERS[scheme];
  if (!open) {
    throw new UsageError(`unknown repository scheme ${JSON.stringify(scheme)} in ${JSON.stringify(url)}`, {
      hint: `use a path, file://, local:, s3:// or azure://`,
    });
  }
  return new RetryingStorage(await open(url), opts.retry);
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
