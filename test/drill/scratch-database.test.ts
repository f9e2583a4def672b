import { describe, expect, it } from "vitest";
import { scratchDatabase, scratchName } from "../../src/drill/scratch-database.js";
import { commandArgv } from "../../src/exec/command-spec.js";

describe("scratch database names and commands", () => {
  it("are new every time, need no quoting, and fit PostgreSQL's 63-byte identifiers whatever the job is called", () => {
    const long = `Nightly.Orders-DB_${"x".repeat(120)}`;
    const names = [scratchName("orders-db"), scratchName("orders-db"), scratchName(long), scratchName("Ä.ö")];
    for (const n of names) {
      expect(n).toMatch(/^cairn_drill_[a-z0-9_]*_[0-9a-f]{16}$/);
      expect(n.length).toBeLessThanOrEqual(63);
    }
    expect(names[0]).not.toBe(names[1]);
    expect(names[0]).toMatch(/^cairn_drill_orders_db_/);
    expect(names[2]).toMatch(/^cairn_drill_nightly_orders_db_x+_[0-9a-f]{16}$/);
  });

  it("never name the live database, and pass the password by environment, not argv", () => {
    const pg = scratchDatabase(
      {
        type: "postgres",
        mode: "logical",
        database: "orders",
        host: "db",
        user: "backup",
        password: "s3cret",
        extra_args: [],
      },
      "drill",
    );
    const all = [pg.create, pg.drop, pg.query("select 1")];
    for (const c of all) {
      expect(commandArgv(c).join(" ")).not.toContain("s3cret");
      expect(commandArgv(c)).not.toContain("orders");
      expect(c.env).toEqual({ PGPASSWORD: "s3cret" });
    }
    expect(commandArgv(pg.drop).at(-1)).toBe(`DROP DATABASE IF EXISTS ${pg.name} WITH (FORCE)`);
    expect(commandArgv(pg.query("select 1"))).toContain(pg.name);
    const my = scratchDatabase(
      { type: "mysql", mode: "logical", database: "shop", host: "db", user: "root", password: "pw", extra_args: [] },
      "drill",
    );
    expect(commandArgv(my.query("select 1")).at(-1)).toBe(my.name);
    expect(commandArgv(my.create).join(" ")).not.toMatch(/\bshop\b|pw/);
    expect(my.create.env).toEqual({ MYSQL_PWD: "pw" });
  });
});
