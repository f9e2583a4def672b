import type { DrillConfig } from "../config/config-schema.js";
import { CairnError, DrillFailedError } from "../core/errors.js";
import type { Repository } from "../repository/repository.js";
import type { Snapshot } from "../repository/format/snapshot-record.js";
import { dumpToCommand } from "../restore/dump-to-command.js";
import type { CommandLog } from "../exec/child-command.js";
import { runCommand } from "../exec/run-command.js";
import { logicalReplay, type LogicalDbSource } from "../jobs/restore-by-source.js";
import { captureOutput } from "./capture-output.js";
import { damagedObject } from "./damaged-object.js";
import { scratchDatabase, type ScratchDatabase } from "./scratch-database.js";

export interface DatabaseDrillResult {
  restoredBytes: number;
  restoreSeconds: number;
  scratchDatabase: string;
  queryResult?: string;
}

/** Dropping the scratch database must not wait on a shutdown: cleanup gets its own time limit instead of the run's signal. */
const DROP_TIMEOUT_S = 120;

/**
 * Replay a logical dump into a new scratch database on the source's server,
 * run the user's check query there, and drop the database whatever happened.
 * The replay is the restore `cairn restore --config` does (same client
 * command, same dump file), pointed at the scratch name: the live database is
 * never written. Every blob of the dump is checked against its keyed id as
 * it is streamed.
 */
export async function drillDatabase(
  repo: Repository,
  snap: Snapshot,
  c: LogicalDbSource,
  d: DrillConfig,
  label: string,
  o: { signal: AbortSignal; log: CommandLog },
): Promise<DatabaseDrillResult> {
  const scratch = scratchDatabase(c, label);
  await runCommand(scratch.create, o.log, o.signal).catch((e: unknown) => {
    throw new DrillFailedError(`cannot create the scratch database ${scratch.name}: ${(e as Error).message}`, {
      hint: "the drill's database user needs the right to create databases (PostgreSQL: CREATEDB; MariaDB: CREATE on *.*)",
      cause: e,
    });
  });
  let result: DatabaseDrillResult | undefined;
  let failure: unknown;
  try {
    result = await replayAndCheck(repo, snap, c, d, scratch, o);
  } catch (e) {
    failure = e;
  }
  const dropError = await runCommand({ ...scratch.drop, timeoutSeconds: DROP_TIMEOUT_S }, o.log).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (failure !== undefined) {
    if (dropError) o.log(`could not drop the scratch database ${scratch.name}; drop it by hand: ${dropError.message}`);
    throw failure;
  }
  // A verified restore that leaves a database behind still needs someone's attention: the drill fails and says which.
  if (dropError)
    throw new DrillFailedError(
      `the snapshot replayed and verified, but the scratch database ${scratch.name} could not be dropped: ${dropError.message}`,
      { hint: `drop it by hand: DROP DATABASE ${scratch.name}` },
    );
  return result!;
}

async function replayAndCheck(
  repo: Repository,
  snap: Snapshot,
  c: LogicalDbSource,
  d: DrillConfig,
  scratch: ScratchDatabase,
  o: { signal: AbortSignal; log: CommandLog },
): Promise<DatabaseDrillResult> {
  const replay = logicalReplay(c, scratch.name);
  const started = performance.now();
  const restoredBytes = await dumpToCommand(repo, snap.tree, replay.name, replay.spec, o.log, o.signal).catch(
    (e: unknown) => {
      const objectKey = damagedObject(e);
      throw new DrillFailedError(
        `replaying ${replay.name} into the scratch database ${scratch.name} failed${objectKey ? `; damaged object ${objectKey}` : ""}: ${(e as Error).message}`,
        { objectKey, cause: e },
      );
    },
  );
  const restoreSeconds = (performance.now() - started) / 1000;
  const queryResult = d.query === undefined ? undefined : await checkQuery(scratch.query(d.query), scratch.name, d, o);
  return { restoredBytes, restoreSeconds, scratchDatabase: scratch.name, queryResult };
}

async function checkQuery(
  spec: Parameters<typeof captureOutput>[0],
  scratch: string,
  d: DrillConfig,
  o: { signal: AbortSignal; log: CommandLog },
): Promise<string> {
  const out = await captureOutput(spec, o.log, o.signal).catch((e: unknown) => {
    throw new DrillFailedError(
      `the check query failed in the scratch database ${scratch}: ${e instanceof CairnError ? e.message : String(e)}`,
      { hint: "the query runs in the scratch database, which holds the replayed dump", cause: e },
    );
  });
  const result = out.trim();
  if (d.expect !== undefined && result !== d.expect.trim()) {
    throw new DrillFailedError(
      `the check query returned ${JSON.stringify(result)}, expected ${JSON.stringify(d.expect.trim())} (in the scratch database ${scratch})`,
      { hint: "the restored data differs from what the drill expects: compare the backup with the live database" },
    );
  }
  return result;
}
