import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DrillConfig } from "../config/config-schema.js";
import { DrillFailedError } from "../core/errors.js";
import type { Repository } from "../repository/repository.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import { restoreSnapshot } from "../restore/restore-tree.js";
import type { CommandLog } from "../exec/child-command.js";
import { damagedObjectIn } from "./damaged-object.js";
import { sampleFiles } from "./sample-files.js";

export interface FilesDrillResult {
  files: number;
  restoredBytes: number;
  restoreSeconds: number;
}

/**
 * Restore a snapshot (or a random sample of its files) into a new temporary
 * directory, then remove it, whatever happened. Restore reads every blob
 * through the repository, which checks each against its keyed id, and checks
 * every file's length against its tree: a clean restore is the verification.
 * A database's data directory or dump file is restored as files too: never
 * into, or over, anything live, and no restore command is run.
 */
export async function drillFiles(
  repo: Repository,
  snap: Snapshot,
  d: DrillConfig,
  label: string,
  o: { signal: AbortSignal; log: CommandLog },
): Promise<FilesDrillResult> {
  const tree = snap.tree;
  const include = d.sample === undefined ? undefined : await sampleFiles(repo, tree, d.sample);
  const dir = await mkdtemp(join(d.scratch_dir ?? tmpdir(), `cairn-drill-${label}-`));
  try {
    const started = performance.now();
    // Ownership is not the point of a drill, and a chown could fail where the restore itself would not.
    const r = await restoreSnapshot(repo, tree, dir, {
      include,
      restoreOwnership: false,
      signal: o.signal,
      onWarning: (w) => o.log(`warning: ${w.path}: ${w.message}`),
    });
    const restoreSeconds = (performance.now() - started) / 1000;
    if (r.errors.length > 0) {
      const first = r.errors[0];
      const objectKey = r.errors.map((e) => damagedObjectIn(e.message)).find((k) => k !== undefined);
      throw new DrillFailedError(
        `${r.errors.length} of the snapshot's entries could not be restored${objectKey ? `; damaged object ${objectKey}` : ""}; first: ${first.path}: ${first.message}`,
        { objectKey },
      );
    }
    return { files: r.files, restoredBytes: r.bytes, restoreSeconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
