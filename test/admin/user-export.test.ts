// `gatehouse user export`: the file import reads, hashes only when asked, a new owner-only file,
// audited; and export → import on a fresh database gives the same accounts (and the same file).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { AuditEvent } from '../../src/audit/entities.ts';
import { User } from '../../src/accounts/entities.ts';
import { LOGIN, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { PASSWORD_VECTORS, roleNames, TransferHarness, writeJsonLines } from './user-transfer-helpers.ts';

async function harness(dir: string, name: string): Promise<TransferHarness> {
  const database = join(dir, `${name}.db`);
  return new TransferHarness(await startTestServer({ DATABASE_URL: database }), dir, database);
}

/** Everything an export carries about an account, to compare two databases. */
async function accounts(h: TransferHarness) {
  const users = await h.em().find(User, {}, { populate: ['roles', 'passwordHash'], orderBy: { emailKey: 'asc' } });
  return users.map((u) => ({
    email: u.email,
    passwordHash: u.passwordHash,
    roles: roleNames(u),
    emailConfirmedAt: u.emailConfirmedAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
    disabled: u.disabled,
    profile: [u.displayName, u.firstName, u.lastName, u.phone, u.bio, u.avatarUrl],
  }));
}

describe('gatehouse user export', () => {
  let dir: string;
  let source: TransferHarness;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-export-'));
    source = await harness(dir, 'source');
    assert.equal((await source.gatehouse(['role', 'add', 'editor'])).code, 0);
    const rows = PASSWORD_VECTORS.slice(0, 6).map((v, i) => ({
      email: `Person${i}@Export.example`,
      password_hash: v.hash,
      roles: i % 2 ? ['editor'] : ['admin', 'editor'],
      email_confirmed_at: i === 3 ? null : `2021-0${i + 1}-02T03:04:05.678Z`,
      created_at: `2020-0${i + 1}-01T00:00:00Z`,
      disabled: i === 4,
      // Values a spreadsheet would run as formulas (i 2–5): export escapes them, import reads them back as they were.
      display_name: i === 5 ? '=HYPERLINK("https://evil.example/","click")' : `Person "${i}", the ${['first', 'second', 'third'][i % 3]}`,
      phone: i === 2 ? '+1 555 0100' : null,
      last_name: i === 4 ? '-2+3' : null,
      bio: i === 1 ? 'two\nlines, and a "quote"' : i === 3 ? '@SUM(1,2)' : null,
      avatar_url: i === 2 ? 'https://example.com/a.png' : null,
    }));
    rows.push({ email: 'no-password@export.example' } as (typeof rows)[number]);
    const run = await source.gatehouse(['user', 'import', writeJsonLines(dir, 'seed.jsonl', rows), '--apply']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await source.gatehouse(['user', 'add', 'argon@export.example', '--confirmed'], `${STRONG_PASSWORD}\n`)).code, 0);
  });
  after(async () => {
    await source.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('without --with-password-hashes the file has no hash column, and is readable by its owner only', async () => {
    const path = join(dir, 'plain.csv');
    const run = await source.gatehouse(['user', 'export', path]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `Exported 8 accounts to ${path}, without password hashes.\n`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, 'utf8');
    assert.equal(text.split('\n')[0], 'email,roles,email_confirmed_at,created_at,disabled,display_name,first_name,last_name,phone,bio,avatar_url');
    assert.doesNotMatch(text, /\$2[aby]\$|\$argon2|pbkdf2|scrypt/);
    const records = parse(text, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(records.slice(0, 6).map((r) => r.email), [0, 1, 2, 3, 4, 5].map((i) => `Person${i}@export.example`), 'oldest first');
    const first = records[0]!;
    assert.deepEqual(first, {
      email: 'Person0@export.example',
      roles: 'admin editor',
      email_confirmed_at: '2021-01-02T03:04:05.678Z',
      created_at: '2020-01-01T00:00:00.000Z',
      disabled: 'false',
      display_name: 'Person "0", the first',
      first_name: '',
      last_name: '',
      phone: '',
      bio: '',
      avatar_url: '',
    });
    const audit = await source.em().find(AuditEvent, { action: 'user.export' });
    assert.deepEqual(audit.map((e) => [e.actorType, e.details]), [['cli', { format: 'csv', count: 8, withPasswordHashes: false, destination: 'plain.csv', completed: true }]]);
  });

  test('with --with-password-hashes each account carries its hash as stored; the audit says so', async () => {
    const run = await source.gatehouse(['user', 'export', '-', '--format', 'jsonl', '--with-password-hashes']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 8);
    for (const line of lines) {
      const stored = await source.user(line.email as string);
      assert.equal(line.password_hash, stored.passwordHash);
    }
    assert.equal(lines.find((l) => l.email === 'no-password@export.example')!.password_hash, null);
    assert.deepEqual(lines[1]!.roles, ['editor']);
    const audit = await source.em().find(AuditEvent, { action: 'user.export' }, { orderBy: { id: 'asc' } });
    assert.deepEqual(audit.at(-1)!.details, { format: 'jsonl', count: 8, withPasswordHashes: true, destination: 'stdout', completed: true });
  });

  test('an existing file is never overwritten', async () => {
    const path = join(dir, 'taken.csv');
    writeFileSync(path, 'keep me');
    const run = await source.gatehouse(['user', 'export', path, '--with-password-hashes']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /taken\.csv already exists; export writes a new file/);
    assert.equal(readFileSync(path, 'utf8'), 'keep me');
    const unknown = await source.gatehouse(['user', 'export', join(dir, 'users.xml')]);
    assert.equal(unknown.code, 2);
    assert.ok(!existsSync(join(dir, 'users.xml')));
  });

  test('CSV cells a spreadsheet would run as formulas start with a quote mark', async () => {
    const out = join(dir, 'formulas.csv');
    assert.equal((await source.gatehouse(['user', 'export', out])).code, 0);
    const records = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    rmSync(out);
    const byEmail = new Map(records.map((r) => [r.email!.toLowerCase(), r]));
    assert.equal(byEmail.get('person5@export.example')?.display_name, `'=HYPERLINK("https://evil.example/","click")`);
    assert.equal(byEmail.get('person2@export.example')?.phone, "'+1 555 0100");
    assert.equal(byEmail.get('person4@export.example')?.last_name, "'-2+3");
    assert.equal(byEmail.get('person3@export.example')?.bio, "'@SUM(1,2)");
    assert.equal(byEmail.get('person0@export.example')?.display_name, 'Person "0", the first', 'other cells untouched');
    for (const record of records) for (const value of Object.values(record)) assert.doesNotMatch(value, /^[=+\-@\t\r]/);
  });

  for (const format of ['csv', 'jsonl'] as const) {
    test(`export → import (${format}) on a fresh database gives the same accounts, the same file, and working old passwords`, async (t) => {
      const exported = join(dir, `all.${format}`);
      assert.equal((await source.gatehouse(['user', 'export', exported, '--with-password-hashes'])).code, 0);
      const target = await harness(dir, `target-${format}`);
      t.after(() => target.server.close());
      assert.equal((await target.gatehouse(['role', 'add', 'editor'])).code, 0);
      const imported = await target.gatehouse(['user', 'import', exported, '--apply']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.deepEqual(await accounts(target), await accounts(source));

      const again = join(dir, `again.${format}`);
      assert.equal((await target.gatehouse(['user', 'export', again, '--with-password-hashes'])).code, 0);
      assert.equal(readFileSync(again, 'utf8'), readFileSync(exported, 'utf8'), 'byte for byte');
      rmSync(again);

      const login = await target.server.gql(LOGIN, { email: 'argon@export.example', password: STRONG_PASSWORD });
      assert.equal(login.body.data.login.__typename, 'CreatedSession');
      const vector = PASSWORD_VECTORS[5]!;
      const old = await target.server.gql(LOGIN, { email: 'person5@export.example', password: vector.password });
      assert.equal(old.body.data.login.__typename, 'CreatedSession', vector.source);
    });
  }
});
