import { z } from "zod";
import {
  DumpSourceSchema,
  MysqlSourceSchema,
  PostgresSourceSchema,
  SnapshotSourceSchema,
  SqliteSourceSchema,
} from "../sources/db-source-schema.js";

/**
 * The `source:` section of a job, one strict object per kind, told apart by
 * `type`. A new kind is added to SourceSchema's list here (database, dump and
 * snapshot kinds come from src/sources/db-source-schema.ts), and a `case` for
 * it to createSource (src/jobs/create-source.ts); nothing else needs to change.
 */
export const FilesSourceSchema = z.strictObject({
  type: z.literal("files"),
  paths: z.array(z.string().min(1, "a path must not be empty")).min(1, "list at least one path to back up"),
  exclude: z.array(z.string()).default([]),
});

export const SourceSchema = z.discriminatedUnion("type", [
  FilesSourceSchema,
  DumpSourceSchema,
  SnapshotSourceSchema,
  PostgresSourceSchema,
  MysqlSourceSchema,
  SqliteSourceSchema,
]);

export type SourceConfig = z.infer<typeof SourceSchema>;
