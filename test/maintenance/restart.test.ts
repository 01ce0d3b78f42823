// Maintenance mode is stored, not remembered: a server started later on the same database is
// still in maintenance, with the same message, end time and author.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, login, startTestServer } from '../helpers/server.ts';
import { BLOCKED_QUERY, createAdmin, MAINTENANCE, setMaintenance } from './maintenance-helpers.ts';

describe('maintenance mode across restarts', () => {
  let dir: string;
  let env: Record<string, string>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-maintenance-restart-'));
    env = { DATABASE_URL: join(dir, 'gatehouse.db') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('turned on, the server restarted: still on, and still refusing non-admins', async () => {
    const endsAt = new Date(Date.now() + 86_400_000).toISOString();
    const first = await startTestServer(env);
    let before;
    try {
      const { token } = await createAdmin(first, 'restart.admin@example.com');
      before = await setMaintenance(first, token, { enabled: true, message: 'Restarting', endsAt });
    } finally {
      await first.close();
    }

    const second = await startTestServer(env);
    try {
      const { token } = await login(second, 'restart.admin@example.com');
      const { __typename, ...stored } = before;
      assert.deepEqual((await second.gql(MAINTENANCE, {}, { token })).body.data.maintenance, stored);
      assert.equal(stored.updatedBy, 'restart.admin@example.com');
      assert.deepEqual(errorCodes(await second.gql(BLOCKED_QUERY)), ['MAINTENANCE_MODE']);
      assert.equal((await second.gql(BLOCKED_QUERY, {}, { token })).body.errors, undefined);

      await setMaintenance(second, token, { enabled: false });
    } finally {
      await second.close();
    }

    const third = await startTestServer(env);
    try {
      assert.equal((await third.gql(MAINTENANCE)).body.data.maintenance.enabled, false);
      assert.equal((await third.gql(BLOCKED_QUERY)).body.errors, undefined);
    } finally {
      await third.close();
    }
  });
});
