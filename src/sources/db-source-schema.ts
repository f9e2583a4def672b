import { z } from "zod";
import { findTool, installHint } from "../exec/tool-packages.js";

/**
 * The database and command `source:` kinds (dump, snapshot, postgres, mysql, sqlite), in
 * the config's shape: snake_case keys, strict objects told apart by `type`.
 * Each refinement also checks that the client tools the kind runs are
 * installed, so a missing pg_dump is a config error naming the package, not a
 * failed run at 3 a.m.
 */
const command = z.union([z.string().min(1), z.array(z.string()).min(1)]);
const env = z.record(z.string(), z.string());
const timeout = z.number().positive();
const fileName = z.string().regex(/^[^/\0]+$/, "a plain file name, no slashes");

export const DumpSourceSchema = z.strictObject({
  type: z.literal("dump"),
  command,
  name: fileName,
  shell: z.boolean().default(false),
  env: env.optional(),
  timeout_seconds: timeout.optional(),
  /** Command that reads the dump on stdin at restore (`cairn restore --config F JOB`). */
  restore: command.optional(),
});

export const SnapshotSourceSchema = z.strictObject({
  type: z.literal("snapshot"),
  prepare: command.optional(),
  paths: z.array(z.string().min(1)).min(1, "list at least one path the prepare step leaves the copy in"),
  cleanup: command.optional(),
  /** Run after the files are restored (`voltadmin restore /snap nightly`); CAIRN_RESTORE_DIR names where they went. */
  restore: command.optional(),
  shell: z.boolean().default(true),
  env: env.optional(),
  exclude: z.array(z.string()).default([]),
  timeout_seconds: timeout.optional(),
});

const pgConnection = {
  host: z.string().optional(),
  port: z.number().int().positive().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  password_file: z.string().optional(),
  timeout_seconds: timeout.optional(),
};

export const PostgresSourceSchema = z
  .strictObject({
    type: z.literal("postgres"),
    mode: z.enum(["logical", "physical", "snapshot"]).default("logical"),
    database: z.string().min(1).optional(),
    data_dir: z.string().min(1).optional(),
    name: fileName.optional(),
    extra_args: z.array(z.string()).default([]),
    ...pgConnection,
  })
  .superRefine((c, ctx) => {
    if (c.mode === "logical" && !c.database)
      ctx.addIssue({ code: "custom", path: ["database"], message: "mode logical needs the database to dump" });
    if (c.mode === "physical" && !c.data_dir)
      ctx.addIssue({
        code: "custom",
        path: ["data_dir"],
        message: "mode physical needs data_dir (the cluster's data directory, e.g. /var/lib/postgresql/15/main)",
      });
    checkTools(ctx, { logical: ["pg_dump", "psql"], physical: ["psql"], snapshot: ["pg_basebackup", "tar"] }[c.mode]);
  });

export const MysqlSourceSchema = z
  .strictObject({
    type: z.literal("mysql"),
    mode: z.enum(["logical", "physical"]).default("logical"),
    database: z.string().min(1).optional(),
    data_dir: z.string().min(1).optional(),
    name: fileName.optional(),
    extra_args: z.array(z.string()).default([]),
    host: z.string().optional(),
    port: z.number().int().positive().optional(),
    socket: z.string().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    option_file: z.string().optional(),
    timeout_seconds: timeout.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.mode === "logical" && !c.database)
      ctx.addIssue({ code: "custom", path: ["database"], message: "mode logical needs the database to dump" });
    checkTools(ctx, c.mode === "logical" ? ["mariadb-dump", "mariadb"] : ["mariadb-backup", "mbstream"]);
  });

export const SqliteSourceSchema = z
  .strictObject({
    type: z.literal("sqlite"),
    path: z.string().min(1),
    method: z.enum(["backup", "vacuum"]).default("backup"),
    name: fileName.optional(),
    tmp_dir: z.string().optional(),
    timeout_seconds: timeout.optional(),
  })
  .superRefine((_c, ctx) => checkTools(ctx, ["sqlite3"]));

export const DbSourceSchema = z.discriminatedUnion("type", [
  DumpSourceSchema,
  SnapshotSourceSchema,
  PostgresSourceSchema,
  MysqlSourceSchema,
  SqliteSourceSchema,
]);
export type DbSourceConfig = z.infer<typeof DbSourceSchema>;

function checkTools(ctx: z.RefinementCtx, tools: readonly string[]): void {
  for (const t of tools) {
    if (!findTool(t))
      ctx.addIssue({ code: "custom", path: ["type"], message: `${t} is not installed; ${installHint(t)}` });
  }
}
