// Crash safety: a real server process is killed (SIGKILL) at points spread over a restore or an
// upload, then the database is opened as a restarted server would open it. Every time it must be
// intact and exactly the old database or exactly the new one (every table's checksum), never a
// mix, never corrupt; and the temporary files left behind are cleaned up at the next start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createConfirmedUser, startTestServer } from '../helpers/server.ts';
import { createAdmin } from '../maintenance/maintenance-helpers.ts';
import { createToken } from '../tokens/token-helpers.ts';
import { openDatabase } from '../../src/db/orm.ts';
import { entities } from '../../src/entities.ts';
import { removeStaleTempFiles } from '../../src/database/files.ts';
import { createBackup, fileChecksums, integrityOf, RESTORE_BACKUP, UPLOAD_DATABASE } from './database-helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = join(ROOT, 'src', 'main.ts');
const ITERATIONS = 24;
/** Change on every write and are no part of "which database is this" (the token's lastUsedAt, the log). */
const VOLATILE = ['audit_events', 'access_tokens'];

interface Fixture {
  dir: string;
  /** The database before the restore ("old") and the backup it is replaced with ("new"). */
  oldDb: string;
  backupsDir: string;
  backupName: string;
  token: string;
  oldSums: Record<string, string>;
  newSums: Record<string, string>;
}

async function buildFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
  const live = join(dir, 'live', 'gatehouse.db');
  const server = await startTestServer({ DATABASE_URL: live }, {}, { keepSqlite: true });
  let backupName: string;
  let token: string;
  try {
    const admin = await createAdmin(server, 'crash.admin@example.com');
    token = (await createToken(server, admin.token, { name: 'crash test' })).token;
    await createConfirmedUser(server, 'in-both@example.com');
    backupName = (await createBackup(server, admin.token, 'the new database')).name;
    await createConfirmedUser(server, 'only-old@example.com');
  } finally {
    await server.close();
  }
  const oldDb = join(dir, 'old.db');
  copyFileSync(live, oldDb);
  const backupsDir = join(dir, 'live', 'backups');
  const fixture = { dir, oldDb, backupsDir, backupName, token, oldSums: fileChecksums(oldDb, VOLATILE), newSums: fileChecksums(join(backupsDir, backupName), VOLATILE) };
  assert.notDeepEqual(fixture.oldSums, fixture.newSums);
  return fixture;
}

/** A server process on a copy of the old database; resolves once it listens. */
async function startChild(dir: string, compileCache: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(NODE, [MAIN, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      DATABASE_URL: join(dir, 'gatehouse.db'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // Start-up (loading the TypeScript sources) is most of a run; V8's code cache makes it shorter.
      NODE_COMPILE_CACHE: compileCache,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const found = /"url":"([^"]+)"/.exec(line)?.[1];
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  child.stdout!.resume();
  return { child, url };
}

function replace(url: string, fixture: Fixture, upload: boolean): Promise<Response> {
  const headers = { authorization: `Bearer ${fixture.token}`, accept: 'application/graphql-response+json' };
  if (!upload) {
    return fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query: RESTORE_BACKUP, variables: { name: fixture.backupName } }),
    });
  }
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: UPLOAD_DATABASE, variables: { file: null } }));
  form.set('map', JSON.stringify({ 0: ['variables.file'] }));
  form.set('0', new Blob([readFileSync(join(fixture.backupsDir, fixture.backupName))]), 'new.db');
  return fetch(url, { method: 'POST', headers, body: form });
}

/** Opens the database as a restarting server does (WAL recovery, migrations), then judges it. */
async function outcome(dir: string, fixture: Fixture): Promise<'old' | 'new'> {
  const path = join(dir, 'gatehouse.db');
  const orm = await openDatabase(path, entities);
  await orm.close();
  assert.equal(integrityOf(path), 'ok');
  const sums = fileChecksums(path, VOLATILE);
  if (JSON.stringify(sums) === JSON.stringify(fixture.oldSums)) return 'old';
  if (JSON.stringify(sums) === JSON.stringify(fixture.newSums)) return 'new';
  assert.fail(`neither the old nor the new database: ${JSON.stringify(sums)}`);
}

describe('crash safety of restore and upload', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await buildFixture();
  });
  after(() => rmSync(fixture.dir, { recursive: true, force: true }));

  test(`SIGKILL at ${ITERATIONS} points during a restore or an upload: the database is always the old or the new one, whole`, async (t) => {
    /** Runs replacement `i` (even: restore, odd: upload); kills the server `killAfterMs` after the request, or once answered. */
    async function run(i: number, killAfterMs: number | 'answered'): Promise<{ ms: number; result: 'old' | 'new' }> {
      const dir = join(fixture.dir, `run-${i}`);
      mkdirSync(dir);
      copyFileSync(fixture.oldDb, join(dir, 'gatehouse.db'));
      cpSync(fixture.backupsDir, join(dir, 'backups'), { recursive: true });
      const upload = i % 2 === 1;
      const { child, url } = await startChild(dir, join(fixture.dir, 'compile-cache'));
      const exited = once(child, 'exit');
      const started = performance.now();
      const request = replace(url, fixture, upload).then((res) => res.json(), () => null);
      if (killAfterMs === 'answered') {
        const answer = (await request) as any;
        const typename = answer?.data?.restoreBackup?.__typename ?? answer?.data?.uploadDatabase?.__typename;
        assert.equal(typename, 'DatabaseReplaced', JSON.stringify(answer));
      } else {
        await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      }
      const ms = performance.now() - started;
      child.kill('SIGKILL');
      await exited;
      await request;
      const what = `run ${i} (${upload ? 'upload' : 'restore'}, killed after ${ms.toFixed(0)} ms)`;
      const result = await outcome(dir, fixture).catch((error: Error) => {
        throw new Error(`${what}: ${error.message}`);
      });
      t.diagnostic(`${what} → ${result}`);
      // What the killed process left (a half-written candidate, an upload, a backup) goes at the next start.
      removeStaleTempFiles(dir);
      removeStaleTempFiles(join(dir, 'backups'));
      const left = [...readdirSync(dir), ...readdirSync(join(dir, 'backups'))].filter((n) => n.endsWith('.tmp') || n.includes('.tmp-'));
      assert.deepEqual(left, [], what);
      rmSync(dir, { recursive: true, force: true });
      return { ms, result };
    }

    // Two servers at a time (start-up is most of a run). First a restore and an upload run to the
    // end, measuring how long a whole replacement takes here; the other runs are killed at points
    // spread over (and a little past) that duration, with jitter, the first at once.
    const LANES = 2;
    const calibration = await Promise.all([run(0, 'answered'), run(1, 'answered')]);
    const fullRunMs = Math.max(...calibration.map((c) => c.ms));
    const outcomes: string[] = calibration.map((c) => c.result);
    const points = Array.from({ length: ITERATIONS - LANES }, (_, k) =>
      k === 0 ? 0 : (k / (ITERATIONS - LANES - 1)) * 1.3 * fullRunMs + Math.random() * (fullRunMs / ITERATIONS),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < points.length) {
          const k = next++;
          outcomes.push((await run(LANES + k, points[k]!)).result);
        }
      }),
    );
    assert.ok(outcomes.includes('old') && outcomes.includes('new'), outcomes.join(' '));
  });
});
