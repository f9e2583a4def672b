import { UsageError } from "../core/errors.js";

/** What snapshots are grouped by before a policy applies to each group (restic `--group-by`, default host,paths). */
export interface GroupBy {
  host: boolean;
  paths: boolean;
  tags: boolean;
}

export const DEFAULT_GROUP_BY: GroupBy = { host: true, paths: true, tags: false };

export interface GroupableSnapshot {
  host: string;
  paths: readonly string[];
  tags: readonly string[];
}

export interface GroupKey {
  host?: string;
  paths?: string[];
  tags?: string[];
}

/** Parse `host,paths`, `host`, `host,source,tags`, or the empty string (one group). `source` is cairn's word for paths. */
export function parseGroupBy(text: string): GroupBy {
  const g: GroupBy = { host: false, paths: false, tags: false };
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (part === "host") g.host = true;
    else if (part === "paths" || part === "path" || part === "source") g.paths = true;
    else if (part === "tags" || part === "tag") g.tags = true;
    else
      throw new UsageError(`--group-by: unknown field ${JSON.stringify(part)}`, {
        hint: 'use a comma-separated subset of host, paths (or source), tags; "" for a single group',
      });
  }
  return g;
}

/** Split snapshots into groups; groups come out in order of first appearance, each keeping the input order. */
export function groupSnapshots<T extends GroupableSnapshot>(
  snapshots: readonly T[],
  by: GroupBy,
): { key: GroupKey; snapshots: T[] }[] {
  const groups = new Map<string, { key: GroupKey; snapshots: T[] }>();
  for (const s of snapshots) {
    const key: GroupKey = {};
    if (by.host) key.host = s.host;
    if (by.paths) key.paths = [...s.paths].sort();
    if (by.tags) key.tags = [...s.tags].sort();
    const k = JSON.stringify([key.host, key.paths, key.tags]);
    const g = groups.get(k) ?? { key, snapshots: [] };
    g.snapshots.push(s);
    groups.set(k, g);
  }
  return [...groups.values()];
}
