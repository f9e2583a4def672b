/**
 * MariaDB fixtures for the database tests: real content (foreign keys,
 * indexes, a view, a function, a procedure, a trigger, an event, non-ASCII
 * text, a 2 MiB blob), per-table checksums, a transactional writer that keeps
 * an invariant, and a second server started on a restored data directory.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface MyTarget {
  host: string;
  port: number;
}

export const SYSTEM_MARIADB: MyTarget = { host: "127.0.0.1", port: 3306 };

export async function sql(t: MyTarget, query: string, db?: string): Promise<string> {
  const args = [
    `--host=${t.host}`,
    `--port=${t.port}`,
    "--user=root",
    "--batch",
    "--skip-column-names",
    "--default-character-set=utf8mb4",
    "-e",
    query,
  ];
  if (db) args.push(db);
  return (await run("mariadb", args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
}

export const CONTENT_SQL = `
CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) NOT NULL, city VARCHAR(100), UNIQUE KEY name_idx (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO customers (name, city) SELECT CONCAT('Zoë Ångström-', seq, ' 東京 🚀'), IF(seq % 3 = 0, 'Köln', 'Łódź') FROM seq_1_to_2000;
CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2), note TEXT, KEY customer_idx (customer_id), FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO orders (customer_id, amount, note) SELECT 1 + seq % 2000, (seq * 7 % 10000) / 100, REPEAT('ü€', seq % 40) FROM seq_1_to_20000;
CREATE VIEW customer_totals AS SELECT c.id, c.name, SUM(o.amount) AS total FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name;
CREATE FUNCTION total_for(cid INT) RETURNS DECIMAL(12,2) READS SQL DATA RETURN (SELECT COALESCE(SUM(amount), 0) FROM orders WHERE customer_id = cid);
SET SESSION group_concat_max_len = 16777216;
CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB NOT NULL) ENGINE=InnoDB;
INSERT INTO blobs SELECT 1, GROUP_CONCAT(RANDOM_BYTES(1024) SEPARATOR '') FROM seq_1_to_2048;
CREATE TABLE accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE=InnoDB;
INSERT INTO accounts SELECT seq, 1000 FROM seq_1_to_100;
CREATE TABLE ledger (id BIGINT AUTO_INCREMENT PRIMARY KEY, src INT, dst INT, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;
CREATE TABLE stop_flag (x INT) ENGINE=InnoDB;
CREATE TRIGGER ledger_check BEFORE INSERT ON ledger FOR EACH ROW SET NEW.src = COALESCE(NEW.src, 0);
CREATE EVENT nightly_noop ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM stop_flag WHERE 1 = 0;
`;

/** A transfer loop, one transaction each, until stop_flag has a row. */
const CHURN_SQL = `CREATE PROCEDURE churn() BEGIN
  DECLARE a INT; DECLARE b INT;
  WHILE NOT EXISTS (SELECT 1 FROM stop_flag) DO
    SET a = 1 + FLOOR(RAND() * 100), b = 1 + FLOOR(RAND() * 100);
    START TRANSACTION;
    UPDATE accounts SET balance = balance - 1 WHERE id = a;
    UPDATE accounts SET balance = balance + 1 WHERE id = b;
    INSERT INTO ledger (src, dst) VALUES (a, b);
    COMMIT;
  END WHILE;
END//`;

export async function loadContent(t: MyTarget, db: string): Promise<void> {
  await sql(t, `CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
  await sql(t, CONTENT_SQL, db);
  await run("mariadb", [`--host=${t.host}`, `--port=${t.port}`, "--user=root", "--delimiter=//", db, "-e", CHURN_SQL]);
}

/** Row count and an order-independent digest of every row of `tables` (default: those the writer leaves alone), plus the routines, triggers, events (read from mysql.event: a server under --skip-grant-tables hides them from information_schema), indexes and view. */
export const STATIC_TABLES = ["customers", "orders", "blobs"];
export const ALL_TABLES = [...STATIC_TABLES, "accounts", "ledger", "stop_flag"];

export async function checksums(t: MyTarget, db: string, tables = STATIC_TABLES): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const cols = await sql(
      t,
      `SELECT GROUP_CONCAT(CONCAT('\`', column_name, '\`') ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '${db}' AND table_name = '${table}'`,
    );
    out[table] = await sql(
      t,
      `SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT(COUNT(*), ':', COALESCE(MD5(GROUP_CONCAT(MD5(CONCAT_WS(0x1f, ${cols})) ORDER BY MD5(CONCAT_WS(0x1f, ${cols})) SEPARATOR '')), '')) FROM \`${table}\``,
      db,
    );
  }
  out.view = await sql(
    t,
    `SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, name, total) ORDER BY id)) FROM customer_totals`,
    db,
  );
  out.function = await sql(t, "SELECT total_for(7)", db);
  out.objects = await sql(
    t,
    `SELECT CONCAT_WS('/', (SELECT GROUP_CONCAT(routine_name ORDER BY routine_name) FROM information_schema.routines WHERE routine_schema = '${db}'), (SELECT GROUP_CONCAT(trigger_name) FROM information_schema.triggers WHERE trigger_schema = '${db}'), (SELECT GROUP_CONCAT(name) FROM mysql.event WHERE db = '${db}'), (SELECT GROUP_CONCAT(index_name ORDER BY table_name, index_name) FROM information_schema.statistics WHERE table_schema = '${db}'))`,
  );
  return out;
}

/** The churn procedure moves one unit between accounts per transaction: a consistent copy has the total intact. */
export async function accountsState(t: MyTarget, db: string): Promise<{ total: number; transfers: number }> {
  const [total, transfers] = (
    await sql(t, "SELECT (SELECT SUM(balance) FROM accounts), (SELECT COUNT(*) FROM ledger)", db)
  )
    .split("\t")
    .map(Number);
  return { total, transfers };
}

/** Start the writer; stop it with `stopWriter` (the procedure polls stop_flag). */
export function startWriter(t: MyTarget, db: string): ChildProcess {
  return spawn("mariadb", [`--host=${t.host}`, `--port=${t.port}`, "--user=root", db, "-e", "CALL churn()"], {
    stdio: "ignore",
  });
}

export async function stopWriter(t: MyTarget, db: string, writer: ChildProcess): Promise<void> {
  await sql(t, "INSERT INTO stop_flag VALUES (1)", db);
  if (writer.exitCode === null) await new Promise((r) => writer.once("exit", r));
  await sql(t, "DELETE FROM stop_flag", db);
}

/** A second mariadbd on a restored data directory (root may run it with --user=root); no grant checks, TCP on `port` only. */
export function startServer(dataDir: string, port: number): ChildProcess {
  return spawn(
    "mariadbd",
    [
      "--no-defaults",
      `--datadir=${dataDir}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${dataDir}/mysqld.sock`,
      `--pid-file=${dataDir}/mysqld.pid`,
      "--user=root",
      "--skip-grant-tables",
      "--innodb-buffer-pool-size=64M",
      "--skip-log-bin",
      `--log-error=${dataDir}/error.log`,
    ],
    { stdio: "ignore" },
  );
}
