/** How the PostgreSQL presets reach the server. The password travels by environment or file, never argv. */
export interface PgConnection {
  host?: string;
  port?: number;
  user?: string;
  /** Put in PGPASSWORD for the tool's environment. */
  password?: string;
  /** A .pgpass file (PGPASSFILE). */
  passwordFile?: string;
}

/** libpq flags shared by psql, pg_dump and pg_basebackup. `--no-password`: fail rather than wait for a prompt. */
export function pgArgs(c: PgConnection): string[] {
  const a = ["--no-password"];
  if (c.host) a.push("--host", c.host);
  if (c.port) a.push("--port", String(c.port));
  if (c.user) a.push("--username", c.user);
  return a;
}

export function pgEnv(c: PgConnection): Record<string, string> {
  const env: Record<string, string> = {};
  if (c.password !== undefined) env.PGPASSWORD = c.password;
  if (c.passwordFile !== undefined) env.PGPASSFILE = c.passwordFile;
  return env;
}

/** "user@host:port", for descriptions. */
export function pgWhere(c: PgConnection): string {
  return `${c.user ? `${c.user}@` : ""}${c.host ?? "local socket"}${c.port ? `:${c.port}` : ""}`;
}
