// Connections of their own to a PostgreSQL server, and creating and dropping whole databases for
// the migration generator and the tests (each test server gets its own database on the server
// named by TEST_DATABASE_URL).
import pg from 'pg';

/** The URL of database `name` on the same server (and with the same credentials) as `url`. */
export function databaseUrlFor(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Runs `run` on a connection of its own to `url`, closed afterwards. */
export async function withPgClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates database `name` unless it exists; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  if (!NAME.test(name)) throw new Error(`not a database name: ${name}`);
  await withPgClient(adminUrl, async (client) => {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount) return;
    try {
      await client.query(`create database "${name}"`);
    } catch (error) {
      // Another process created it between the check and here.
      if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505') throw error;
    }
  });
  return databaseUrlFor(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`not a database name: ${name}`);
  await withPgClient(adminUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
}
