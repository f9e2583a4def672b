/** How the MySQL/MariaDB presets reach the server. The password travels in MYSQL_PWD, never argv. */
export interface MysqlConnection {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** A client option file holding the password ([client] password=...), read first (--defaults-extra-file). */
  optionFile?: string;
  socket?: string;
}

/** Client flags shared by mariadb, mariadb-dump and mariadb-backup; an option file must come first. */
export function mysqlArgs(c: MysqlConnection): string[] {
  const a: string[] = [];
  if (c.optionFile) a.push(`--defaults-extra-file=${c.optionFile}`);
  if (c.host) a.push(`--host=${c.host}`);
  if (c.port) a.push(`--port=${c.port}`);
  if (c.socket) a.push(`--socket=${c.socket}`);
  if (c.user) a.push(`--user=${c.user}`);
  return a;
}

export function mysqlEnv(c: MysqlConnection): Record<string, string> {
  return c.password === undefined ? {} : { MYSQL_PWD: c.password };
}

export function mysqlWhere(c: MysqlConnection): string {
  return `${c.user ? `${c.user}@` : ""}${c.host ?? c.socket ?? "local socket"}${c.port ? `:${c.port}` : ""}`;
}
