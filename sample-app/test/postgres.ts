import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL the tests use: the machine's, on 127.0.0.1:5432 (`TEST_DATABASE_URL` to
 * change it). Each suite works in a schema of its own and drops it afterwards.
 */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A schema name nobody else uses: `nrl_test_<what>_<random>`. */
export function testSchema(what: string): string {
  return `nrl_test_${what}_${randomBytes(4).toString('hex')}`;
}

/** Fails with what to do when PostgreSQL is not there, instead of a bare ECONNREFUSED. */
export async function assertPostgres(): Promise<void> {
  const client = new Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 3_000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `The PostgreSQL tests need a server at ${TEST_DATABASE_URL} (${(error as Error).message}). ` +
        'Start it (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`), set TEST_DATABASE_URL, or run `bash .ci/run`, which installs and starts it.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropTestSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Whether a schema exists (to prove a suite dropped its own). */
export async function schemaExists(schema: string): Promise<boolean> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schema,
    ]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}
