// Restoring a backup on a running server: the data afterwards is the data at backup time; sessions
// the restored data lacks end at once (their sockets close); the restored maintenance state is
// published; requests during the swap are held, not failed; a database another process holds
// is not replaced; and the safety backup taken first gets the replaced data back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import Database from 'better-sqlite3';
import { createConfirmedUser, errorCodes, login, startTestServer, type TestServer } from '../helpers/server.ts';
import { CHANGED, createAdmin, EventQueue, setMaintenance, wsClient, wsSubscribe } from '../maintenance/maintenance-helpers.ts';
import { auditActions, BACKUPS, createBackup, CREATE_BACKUP, dataOf, RESTORE_BACKUP, tableChecksums, userEmails } from './database-helpers.ts';

const VIEWER = '{ viewer { email displayName } }';
const RENAME = `mutation($name: String!) { updateProfile(input: { displayName: $name }) { __typename } }`;

async function restore(server: TestServer, token: string, name: string): Promise<any> {
  const result = dataOf(await server.gql(RESTORE_BACKUP, { name }, { token })).restoreBackup;
  assert.equal(result.__typename, 'DatabaseReplaced', JSON.stringify(result));
  return result;
}

describe('restoring a backup', () => {
  let server: TestServer;
  let admin: { token: string; userId: string };
  const clients: Client[] = [];

  before(async () => {
    server = await startTestServer({}, {}, { keepSqlite: true });
    admin = await createAdmin(server, 'restore.admin@example.com');
  });
  after(async () => {
    for (const client of clients) await client.dispose();
    await server.close();
  });

  test('round trip: after the restore every table holds what it held at backup time; the safety backup brings the rest back', async () => {
    await createConfirmedUser(server, 'alice@example.com');
    await server.gql(RENAME, { name: 'Before' }, { token: admin.token });
    const atBackup = await tableChecksums(server, ['audit_events']);
    const [{ id: lastEventAtBackup }] = await server.gatehouse.services.orm.em.getConnection().execute<[{ id: number }]>('select max(id) as id from audit_events');
    const backup = await createBackup(server, admin.token, 'round trip');

    await createConfirmedUser(server, 'bob@example.com');
    await server.gql(RENAME, { name: 'After' }, { token: admin.token });
    const beforeRestore = await tableChecksums(server, ['audit_events']);
    assert.notDeepEqual(beforeRestore, atBackup);

    const result = await restore(server, admin.token, backup.name);
    assert.equal(result.source, backup.name);
    assert.deepEqual(result.migrationsApplied, []);
    assert.equal(result.safetyBackup.kind, 'SAFETY');
    assert.ok(existsSync(join(server.gatehouse.config.backup.dir, result.safetyBackup.name)));

    assert.deepEqual(await tableChecksums(server, ['audit_events']), atBackup);
    assert.deepEqual(await userEmails(server), ['alice@example.com', 'restore.admin@example.com']);
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token: admin.token })).viewer.displayName, 'Before');
    // The audit log is the backup's, plus the restore itself, recorded in the restored data.
    const events = await auditActions(server, '');
    assert.ok(events.every((e) => e.id <= lastEventAtBackup || e.action === 'database.restore'), JSON.stringify(events.filter((e) => e.id > lastEventAtBackup)));
    const restoreEvent = events.find((e) => e.action === 'database.restore')!;
    assert.equal(restoreEvent.actorId, admin.userId);
    assert.equal(restoreEvent.targetId, backup.name);
    assert.equal((restoreEvent.details as any).safetyBackup, result.safetyBackup.name);

    // Restoring the safety backup brings back what the first restore replaced.
    await restore(server, admin.token, result.safetyBackup.name);
    assert.deepEqual(await tableChecksums(server, ['audit_events']), beforeRestore);
    assert.deepEqual(await userEmails(server), ['alice@example.com', 'bob@example.com', 'restore.admin@example.com']);
  });

  test('sessions the restored data lacks end at once: their sockets close (4403) after viewerSessionEnded; others go on', async () => {
    const backup = await createBackup(server, admin.token);
    const carol = await createConfirmedUser(server, 'carol@example.com');

    const closes = new EventQueue<number>();
    const carolClient = createClient({
      url: server.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      // Not lazy: the socket stays open after the subscription ends, so the server is the one closing it.
      lazy: false,
      onNonLazyError: () => undefined,
      connectionParams: { authorization: `Bearer ${carol.token}` },
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    clients.push(carolClient);
    const ended = wsSubscribe(carolClient, 'subscription { viewerSessionEnded { reason } }');
    const adminClient = wsClient(server, admin.token);
    clients.push(adminClient);
    const adminEnded = wsSubscribe(adminClient, 'subscription { viewerSessionEnded { reason } }');
    // Both subscriptions are live once a query on the same sockets answers.
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token: carol.token })).viewer.email, 'carol@example.com');
    await new Promise((resolve) => setTimeout(resolve, 100));

    await restore(server, admin.token, backup.name);
    assert.deepEqual((await ended.events.next()).data, { viewerSessionEnded: { reason: 'USER_DELETED' } });
    assert.equal(await closes.next(), 4403);
    assert.deepEqual(errorCodes(await server.gql(VIEWER, {}, { token: carol.token })), ['UNAUTHENTICATED']);
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token: admin.token })).viewer.email, 'restore.admin@example.com');
    await assert.rejects(adminEnded.events.next(300), /no event/);
  });

  test('the restored maintenance state is published to subscribers and enforced', async () => {
    await setMaintenance(server, admin.token, { enabled: true, message: 'Restored later' });
    const backup = await createBackup(server, admin.token);
    await setMaintenance(server, admin.token, { enabled: false });

    const anonymous = wsClient(server);
    clients.push(anonymous);
    const changes = wsSubscribe(anonymous, CHANGED);
    assert.equal((await changes.events.next()).data.maintenanceModeChanged.enabled, false);

    await restore(server, admin.token, backup.name);
    assert.deepEqual((await changes.events.next()).data.maintenanceModeChanged, { enabled: true, message: 'Restored later', endsAt: null });
    assert.deepEqual(errorCodes(await server.gql('{ validationRules }')), ['MAINTENANCE_MODE']);
    await setMaintenance(server, admin.token, { enabled: false });
  });

  test('requests arriving during the swap wait and then succeed; none fails', async () => {
    const backup = await createBackup(server, admin.token);
    const restoring = server.gql(RESTORE_BACKUP, { name: backup.name }, { token: admin.token });
    const requests = Array.from({ length: 30 }, (_, i) =>
      new Promise((resolve) => setTimeout(resolve, i * 3)).then(() => server.gql(VIEWER, {}, { token: admin.token })),
    );
    const answers = await Promise.all(requests);
    assert.equal(dataOf(await restoring).restoreBackup.__typename, 'DatabaseReplaced');
    for (const answer of answers) assert.equal(dataOf(answer).viewer.email, 'restore.admin@example.com');
  });

  test('a backup and a download queued behind a restore wait for it (it does not wait for them) and then succeed', async () => {
    const { database } = server.gatehouse.services;
    const backup = await createBackup(server, admin.token);
    // Hold the queue, so the restore is queued first and the others behind it.
    let release!: () => void;
    const blocker = database.exclusive(() => new Promise<void>((resolve) => (release = resolve)));
    /** Until `count` tasks are in the queue and every request has reached it (waiting there, a request is outside the gate). */
    const queued = async (count: number) => {
      const deadline = Date.now() + 10_000;
      while (database.queued < count || database.gate.inside > 0) {
        assert.ok(Date.now() < deadline, `${count} tasks queued, none inside the gate (queued ${database.queued}, inside ${database.gate.inside})`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const restoring = server.gql(RESTORE_BACKUP, { name: backup.name }, { token: admin.token });
    await queued(2);
    const backingUp = server.gql(CREATE_BACKUP, { label: 'queued' }, { token: admin.token });
    const downloading = fetch(`${server.origin}/admin/database/download`, { headers: { authorization: `Bearer ${admin.token}` } });
    await queued(4);
    release();
    await blocker;
    assert.equal(dataOf(await restoring).restoreBackup.__typename, 'DatabaseReplaced');
    assert.equal(dataOf(await backingUp).createBackup.__typename, 'Backup');
    const download = await downloading;
    assert.equal(download.status, 200);
    await download.arrayBuffer();
    // Both ran after the restore: their audit rows are in the restored data.
    const events = (await auditActions(server)).map((e) => e.action);
    assert.deepEqual(events.slice(-3).sort(), ['database.backup', 'database.download', 'database.restore']);
  });

  test('while another process has the database open it is not replaced: DatabaseInUseError, nothing changed', async () => {
    const backup = await createBackup(server, admin.token);
    await createConfirmedUser(server, 'dave@example.com');
    const before = await tableChecksums(server, ['audit_events']);
    const other = new Database(server.gatehouse.config.databasePath, { readonly: true });
    try {
      other.prepare('select count(*) from users').get();
      const result = dataOf(await server.gql(RESTORE_BACKUP, { name: backup.name }, { token: admin.token })).restoreBackup;
      assert.equal(result.__typename, 'DatabaseInUseError', JSON.stringify(result));
      assert.equal(result.code, 'DATABASE_IN_USE');
    } finally {
      other.close();
    }
    assert.deepEqual(await tableChecksums(server, ['audit_events']), before);
    // Still in WAL mode, still serving.
    const [{ journal_mode }] = await server.gatehouse.services.orm.em.getConnection().execute<[{ journal_mode: string }]>('pragma journal_mode');
    assert.equal(journal_mode, 'wal');
    const { token } = await login(server, 'dave@example.com');
    assert.equal(dataOf(await server.gql(VIEWER, {}, { token })).viewer.email, 'dave@example.com');
    const refused = (await auditActions(server)).filter((e) => e.action === 'database.replace_refused');
    assert.equal((refused.at(-1)!.details as any).code, 'DATABASE_IN_USE');
    // The refused restore took a safety backup first; it stays listed (and harmless).
    assert.ok(dataOf(await server.gql(BACKUPS, {}, { token: admin.token })).backups.length > 0);
  });
});
