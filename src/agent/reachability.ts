import type { RepositoryConfig } from "../config/config-schema.js";
import { CONFIG_KEY } from "../repository/format/layout.js";
import { openConfiguredStorage } from "../jobs/open-repository.js";

export interface Reachability {
  reachable: boolean;
  /** Why not: the storage error's message (names the bucket or path, never a key). */
  error?: string;
}

/** Whether the repository's storage answers and holds a repository (its `config` object); bounded by `timeoutMs`. */
export async function checkReachable(r: RepositoryConfig, timeoutMs: number): Promise<Reachability> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Reachability>((done) => {
    timer = setTimeout(() => done({ reachable: false, error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
  });
  const probe = (async (): Promise<Reachability> => {
    const storage = await openConfiguredStorage(r);
    try {
      return (await storage.head(CONFIG_KEY))
        ? { reachable: true }
        : { reachable: false, error: "no repository there (no config object); run `cairn init`" };
    } finally {
      await storage.close?.();
    }
  })().catch((e: Error): Reachability => ({ reachable: false, error: e.message }));
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
