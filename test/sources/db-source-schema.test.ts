import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseConfig } from "../../src/config/load-config.js";
import { ConfigInvalidError } from "../../src/core/errors.js";
import { DbSourceSchema } from "../../src/sources/db-source-schema.js";

const messages = (v: unknown) => {
  const r = DbSourceSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("database source config", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it("accepts the issue's examples with their defaults", () => {
    const pg = DbSourceSchema.parse({
      type: "postgres",
      mode: "logical",
      database: "orders",
      host: "127.0.0.1",
      user: "backup",
    });
    expect(pg).toMatchObject({ type: "postgres", mode: "logical", database: "orders", extra_args: [] });
    expect(DbSourceSchema.parse({ type: "mysql", mode: "physical" })).toMatchObject({ mode: "physical" });
    expect(DbSourceSchema.parse({ type: "sqlite", path: "/data/app.db" })).toMatchObject({ method: "backup" });
    expect(
      DbSourceSchema.parse({
        type: "snapshot",
        prepare: "voltadmin save --blocking /snap nightly",
        paths: ["/snap"],
        cleanup: "rm -rf /snap/*",
      }),
    ).toMatchObject({ shell: true });
    expect(DbSourceSchema.parse({ type: "dump", command: "my-exporter --stdout", name: "export.bin" })).toMatchObject({
      shell: false,
    });
  });

  it("names what a mode is missing and refuses unknown keys", () => {
    expect(messages({ type: "postgres", mode: "logical" })).toContain(
      "database: mode logical needs the database to dump",
    );
    expect(messages({ type: "postgres", mode: "physical" }).join()).toContain("data_dir");
    expect(messages({ type: "dump", command: "x", name: "a/b" }).join()).toContain("plain file name");
    expect(messages({ type: "sqlite", path: "/x", passwd: "oops" }).join()).toMatch(/passwd/);
  });

  it("a missing client tool is a config error naming the Debian and Alpine package", () => {
    process.env.PATH = "/nonexistent";
    const pg = messages({ type: "postgres", mode: "snapshot" }).join("\n");
    expect(pg).toContain("pg_basebackup is not installed");
    expect(pg).toContain("apt-get install postgresql-client");
    expect(pg).toContain("apk add postgresql16-client");
    expect(messages({ type: "mysql", mode: "logical", database: "shop" }).join()).toContain(
      "apt-get install mariadb-client",
    );
    expect(messages({ type: "mysql", mode: "physical" }).join()).toContain("apt-get install mariadb-backup");
    expect(messages({ type: "sqlite", path: "/d.db" }).join()).toContain("apk add sqlite");
    expect(messages({ type: "postgres", database: "x" }).join()).toContain("pg_dump is not installed");
  });
});

describe("config/databases.example.yaml", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });
  const example = () => readFileSync(new URL("../../config/databases.example.yaml", import.meta.url), "utf8");
  const env = { PGPASSWORD_BACKUP: "x", MYSQL_BACKUP_PASSWORD: "y" };

  it("is accepted by the config validator on a machine with the client tools", () => {
    const c = parseConfig(example(), "databases.example.yaml", env);
    expect(Object.keys(c.jobs)).toEqual([
      "orders-db",
      "orders-db-files",
      "orders-db-base",
      "shop-files",
      "shop",
      "app-sqlite",
      "ledger",
      "anything",
    ]);
  });

  it("without the tools, every database job is a problem at its line naming the package", () => {
    process.env.PATH = "/nonexistent";
    let err: unknown;
    try {
      parseConfig(example(), "databases.example.yaml", env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigInvalidError);
    const problems = (err as ConfigInvalidError).problems;
    expect(problems.find((p) => p.path === "jobs.orders-db.source.type")?.message).toContain(
      "apt-get install postgresql-client",
    );
    expect(problems.find((p) => p.path === "jobs.shop-files.source.type")?.message).toContain("mariadb-backup");
    expect(problems.every((p) => p.line !== undefined)).toBe(true);
    expect(problems.some((p) => p.path.startsWith("jobs.ledger") || p.path.startsWith("jobs.anything"))).toBe(false);
  });
});
