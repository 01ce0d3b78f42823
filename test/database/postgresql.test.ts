// On PostgreSQL the SQLite file operations (backup, restore, upload, download; the `db` commands)
// answer UNSUPPORTED_DATABASE naming pg_dump / pg_restore, and change nothing. Runs in the
// PostgreSQL pass of the suite (TEST_DATABASE_URL); the SQLite pass covers the operations themselves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { runGatehouse } from '../helpers/cli.ts';
import { TEST_DIALECT } from '../helpers/backends.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { BACKUPS, CREATE_BACKUP, dataOf, DELETE_BACKUP, DOWNLOAD_LINK, RESTORE_BACKUP, uploadDatabase, userEmails } from './database-helpers.ts';

const skip = TEST_DIALECT === 'postgresql' ? false : 'runs in the PostgreSQL pass (TEST_DATABASE_URL; scripts/test-backends.sh start)';
const NAMES_TOOLS = /pg_dump.*pg_restore/;

describe('SQLite file operations on PostgreSQL', { skip }, () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-db-'));
    server = await startTestServer({ DATABASE_URL: join(dir, 'gatehouse.db') });
    admin = await createAdmin(server, 'pg.admin@example.com');
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('createBackup, deleteBackup, restoreBackup and createDatabaseDownloadLink answer UnsupportedDatabaseError', async () => {
    const before = await userEmails(server);
    for (const [query, field, variables] of [
      [CREATE_BACKUP, 'createBackup', { label: 'nightly' }],
      [DELETE_BACKUP, 'deleteBackup', { name: 'gatehouse-20260101T000000Z-manual-abcdef.db' }],
      [RESTORE_BACKUP, 'restoreBackup', { name: 'gatehouse-20260101T000000Z-manual-abcdef.db' }],
      [DOWNLOAD_LINK, 'createDatabaseDownloadLink', {}],
    ] as const) {
      const result = dataOf(await server.gql(query, variables, { token: admin.token }))[field];
      assert.equal(result.__typename, 'UnsupportedDatabaseError', `${field}: ${JSON.stringify(result)}`);
      assert.equal(result.code, 'UNSUPPORTED_DATABASE');
      assert.match(result.message, NAMES_TOOLS);
    }
    assert.deepEqual(await userEmails(server), before);
  });

  test('the backups list answers the same code as a GraphQL error', async () => {
    const res = await server.gql(BACKUPS, {}, { token: admin.token });
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'UNSUPPORTED_DATABASE', JSON.stringify(res.body));
    assert.match(res.body.errors![0]!.message, NAMES_TOOLS);
  });

  test('an upload is refused and changes nothing', async () => {
    const before = await userEmails(server);
    const res = await uploadDatabase(server, Buffer.from('SQLite format 3\u0000'.padEnd(4096, '\u0000')), { token: admin.token });
    const result = res.body.data?.uploadDatabase;
    assert.equal(result?.__typename, 'UnsupportedDatabaseError', JSON.stringify(res.body));
    assert.match(result.message, NAMES_TOOLS);
    assert.deepEqual(await userEmails(server), before);
  });

  test('the download route answers 501 Not Implemented with the code and the tools to use', async () => {
    const res = await fetch(`${server.origin}/admin/database/download`, { headers: { authorization: `Bearer ${admin.token}` } });
    const body = await res.json();
    assert.equal(res.status, 501, JSON.stringify(body));
    assert.equal(body.code, 'UNSUPPORTED_DATABASE');
    assert.match(body.error, NAMES_TOOLS);
  });

  test('`gatehouse db backup` exits non-zero naming pg_dump', async () => {
    const run = await runGatehouse(['db', 'backup'], { cwd: dir, databasePath: join(dir, 'gatehouse.db') });
    assert.notEqual(run.code, 0, run.stdout);
    assert.match(run.stderr, NAMES_TOOLS);
  });
});
