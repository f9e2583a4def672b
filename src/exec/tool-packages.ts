import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The package that ships each client tool a preset runs, on Debian/Ubuntu and on Alpine. */
export const TOOL_PACKAGES: Readonly<Record<string, { debian: string; alpine: string }>> = {
  pg_dump: { debian: "postgresql-client", alpine: "postgresql16-client (the postgresqlNN-client matching the server)" },
  pg_basebackup: {
    debian: "postgresql-client",
    alpine: "postgresql16-client (the postgresqlNN-client matching the server)",
  },
  psql: { debian: "postgresql-client", alpine: "postgresql16-client (the postgresqlNN-client matching the server)" },
  "mariadb-dump": { debian: "mariadb-client", alpine: "mariadb-client" },
  mariadb: { debian: "mariadb-client", alpine: "mariadb-client" },
  "mariadb-backup": { debian: "mariadb-backup", alpine: "mariadb-backup" },
  mbstream: { debian: "mariadb-backup", alpine: "mariadb-backup" },
  sqlite3: { debian: "sqlite3", alpine: "sqlite" },
  tar: { debian: "tar", alpine: "tar" },
};

/** Install advice for a missing tool, naming the packages. */
export function installHint(tool: string): string {
  const p = TOOL_PACKAGES[tool];
  return p
    ? `install it: \`apt-get install ${p.debian}\` (Debian/Ubuntu) or \`apk add ${p.alpine}\` (Alpine), or put it on PATH`
    : `install ${tool} or put it on PATH`;
}

/** Where `tool` is on PATH (or the path itself when it contains a slash); undefined when it is not there. */
export function findTool(tool: string, path = process.env.PATH ?? ""): string | undefined {
  const candidates = tool.includes("/")
    ? [tool]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, tool));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
