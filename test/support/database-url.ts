/** The PostgreSQL server the suite runs against, or null for the embedded PGlite. */
export function testDatabaseUrl(): string | null {
  // Read here, in test support only; the service itself reads the environment in config.ts alone.
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  return url && url.trim() !== '' ? url : null;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
