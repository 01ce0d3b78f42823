// The hand-written lookups (src/db/hot-queries.ts) on a real server: values with quotes and
// placeholders in them are only ever data; inside a transaction a lookup reads through the
// transaction's connection. On PostgreSQL they are named prepared statements with parameters, the
// pool is DATABASE_POOL_SIZE connections, and a column added by another instance's migration does
// not break the statements prepared before it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import { findRow, runStatement } from '../../src/db/hot-queries.ts';
import { User } from '../../src/accounts/entities.ts';
import { createConfirmedUser, login, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { TEST_DIALECT, writeFromOutside } from '../helpers/backends.ts';
import { CREATE_TOKEN } from '../tokens/token-helpers.ts';

const VIEWER = '{ viewer { id email } }';
const LOGIN = `mutation($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { __typename } }`;
const onPostgres = TEST_DIALECT === 'postgresql' ? false : 'runs in the PostgreSQL pass (TEST_DATABASE_URL; scripts/test-backends.sh start)';

/** Rows of a query on the server's own database connection (inside `em`'s transaction, if any). */
async function rows<T>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());
}

describe('hand-written lookups', () => {
  let server: TestServer;
  // Quotes, placeholders of both dialects and LIKE wildcards, all valid in an address.
  const tricky = `o'brien?$1'--%_@example.com`;

  before(async () => {
    // One connection on PostgreSQL, so the statements it prepared can be read back on it.
    server = await startTestServer(TEST_DIALECT === 'postgresql' ? { DATABASE_POOL_SIZE: '1' } : {});
    await createConfirmedUser(server, tricky);
  });
  after(() => server.close());

  test('an email with quotes and placeholders in it is looked up as data', async () => {
    const { token } = await login(server, tricky.toUpperCase());
    assert.equal((await server.gql(VIEWER, {}, { token })).body.data?.viewer.email, tricky);
    for (const email of [`' or '1'='1`, `x' or email_key like '%`, `?`, `$1`]) {
      const res = await server.gql(LOGIN, { email, password: STRONG_PASSWORD });
      assert.equal(res.body.data?.login.__typename, 'InvalidCredentialsError', `${email}: ${JSON.stringify(res.body)}`);
    }
  });

  /** A user inserted in `tx` (not yet committed). */
  const insertUser = (tx: EntityManager, email: string) =>
    tx.insert(User, { id: randomUUID(), email, emailKey: email, disabled: false, createdAt: new Date(), updatedAt: new Date() });
  const EMAIL_LOOKUP = 'select email from users where email_key = ?';

  test('inside a transaction a lookup reads through the transaction’s connection; outside, only once committed', async () => {
    const orm = server.gatehouse.services.orm;
    const email = `tx-${randomUUID()}@example.com`;
    let callbackDone = false;
    let outside: Promise<{ row: unknown; duringTransaction: boolean }> | undefined;
    await orm.em.fork().transactional(async (tx) => {
      await insertUser(tx, email);
      assert.deepEqual(await findRow(tx, EMAIL_LOOKUP, [email]), { email });
      // SQLite's one connection, and here PostgreSQL's pool of one, is the transaction's until it
      // ends: a lookup outside the transaction waits for it, and then sees the committed row.
      outside = findRow(orm.em.fork(), EMAIL_LOOKUP, [email]).then((row) => ({ row, duringTransaction: !callbackDone }));
      assert.deepEqual(await findRow(tx, EMAIL_LOOKUP, [email]), { email });
      if (TEST_DIALECT === 'postgresql') {
        const [seen] = await rows<{ n: number }>(tx, "select count(*)::int as n from pg_prepared_statements where statement = 'select email from users where email_key = $1'");
        assert.equal(seen?.n, 1, 'the lookup is a prepared statement of the transaction’s connection');
      }
      callbackDone = true;
    });
    assert.deepEqual(await outside, { row: { email }, duringTransaction: false });
  });

  test('a row rolled back is not found afterwards', async () => {
    const orm = server.gatehouse.services.orm;
    const email = `rollback-${randomUUID()}@example.com`;
    await assert.rejects(
      orm.em.fork().transactional(async (tx) => {
        await insertUser(tx, email);
        assert.deepEqual(await findRow(tx, EMAIL_LOOKUP, [email]), { email });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(await findRow(orm.em.fork(), EMAIL_LOOKUP, [email]), undefined);
  });

  test('a hand-written write binds its values as data (dates as MikroORM stores them), counts the rows it changed, and rolls back with its transaction', async () => {
    const orm = server.gatehouse.services.orm;
    const key = tricky.toLowerCase();
    const at = new Date('2031-02-03T04:05:06.789Z');
    const WRITE = 'update users set display_name = ?, updated_at = ? where email_key = ?';
    assert.equal(await runStatement(orm.em.fork(), WRITE, [tricky, at, key]), 1);
    assert.equal(await runStatement(orm.em.fork(), WRITE, [tricky, at, `nobody-${key}`]), 0);
    const read = await orm.em.fork().findOneOrFail(User, { emailKey: key });
    assert.equal(read.displayName, tricky, 'quotes and placeholders arrive as they were');
    assert.equal(read.updatedAt.toISOString(), at.toISOString(), 'the date reads back through MikroORM as written');

    await assert.rejects(
      orm.em.fork().transactional(async (tx) => {
        assert.equal(await runStatement(tx, WRITE, ['rolled back', new Date(), key]), 1);
        assert.deepEqual(await findRow(tx, 'select display_name from users where email_key = ?', [key]), { display_name: 'rolled back' });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(await findRow(orm.em.fork(), 'select display_name from users where email_key = ?', [key]), { display_name: tricky });
  });

  describe('on PostgreSQL', { skip: onPostgres }, () => {
    test('session, token and login lookups are named prepared statements with $1 parameters, no value inlined', async () => {
      const { token } = await login(server, tricky);
      const created = await server.gql(CREATE_TOKEN, { input: { name: 'prepared' } }, { token });
      const accessToken = created.body.data?.createAccessToken.token as string;
      assert.ok(accessToken, JSON.stringify(created.body));
      for (const credential of [token, accessToken]) assert.equal((await server.gql(VIEWER, {}, { token: credential })).body.data?.viewer.email, tricky);

      const prepared = await rows<{ name: string; statement: string; parameter_types: string[] }>(
        server.gatehouse.services.orm.em.fork(),
        "select name, statement, parameter_types::text[] as parameter_types from pg_prepared_statements where name like 'gatehouse\\_%'",
      );
      // The session, access-token and login lookups (the test's own lookup aside).
      const lookups = prepared.filter((s) => /^select (s\.id .* where s\.token_hash|t\.id .* where t\.token_hash|\* from users where email_key) = \$1$/.test(s.statement));
      assert.equal(lookups.length, 3, JSON.stringify(prepared, null, 1));
      for (const lookup of lookups) {
        assert.match(lookup.name, /^gatehouse_[0-9a-f]{16}_\d+$/);
        assert.deepEqual(lookup.parameter_types, ['text']);
        assert.doesNotMatch(lookup.statement, /'/, 'no literal in the statement');
      }
    });

    test('DATABASE_POOL_SIZE bounds the connections the server opens', async () => {
      const { token } = await login(server, tricky);
      const answers = await Promise.all(Array.from({ length: 20 }, () => server.gql(VIEWER, {}, { token })));
      assert.ok(answers.every((res) => res.body.data?.viewer.email === tricky));
      const [{ n } = { n: -1 }] = await rows<{ n: number }>(
        server.gatehouse.services.orm.em.fork(),
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and backend_type = 'client backend'",
      );
      assert.equal(n, 1);
    });

    test('a column added by another instance’s migration: the prepared lookups are prepared again', async () => {
      const { token } = await login(server, tricky);
      assert.equal((await server.gql(VIEWER, {}, { token })).status, 200);
      await writeFromOutside(server.gatehouse.config.databasePath, 'alter table users add column added_elsewhere integer', []);
      try {
        for (let i = 0; i < 3; i++) {
          const res = await server.gql(VIEWER, {}, { token });
          assert.equal(res.body.data?.viewer.email, tricky, JSON.stringify(res.body));
        }
        assert.equal((await server.gql(LOGIN, { email: tricky, password: STRONG_PASSWORD })).body.data?.login.__typename, 'CreatedSession');
      } finally {
        await writeFromOutside(server.gatehouse.config.databasePath, 'alter table users drop column added_elsewhere', []);
      }
      assert.equal((await server.gql(VIEWER, {}, { token })).body.data?.viewer.email, tricky);
    });
  });
});
