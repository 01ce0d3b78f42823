// `gatehouse user import`, run as an operator runs it, on a real server's database: accounts with
// other systems' password hashes sign in with their old password (and then hold argon2id), keep
// roles, confirmation and creation time; every bad input is refused by line and changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { AuditEvent } from '../../src/audit/entities.ts';
import { User } from '../../src/accounts/entities.ts';
import { needsRehash, verifyPassword } from '../../src/accounts/passwords.ts';
import { LOGIN, startTestServer, type TestServer } from '../helpers/server.ts';
import { spawnGatehouse } from '../helpers/cli.ts';
import { PASSWORD_VECTORS, roleNames, SOME_HASH, TransferHarness, writeCsv, writeJsonLines, writeText } from './user-transfer-helpers.ts';

const HEADER = ['email', 'password_hash', 'roles', 'email_confirmed', 'created_at', 'display_name'];
const ascii = PASSWORD_VECTORS.filter((v) => v.password === PASSWORD_VECTORS[0]!.password);
const unicode = PASSWORD_VECTORS.filter((v) => v.password !== PASSWORD_VECTORS[0]!.password);
const created = (i: number) => new Date(Date.UTC(2019, 0, 1 + i, 12, 30)).toISOString();

describe('gatehouse user import', () => {
  let server: TestServer;
  let dir: string;
  let h: TransferHarness;

  const signIn = async (email: string, password: string) => {
    const res = await server.gql(LOGIN, { email, password });
    return res.body.data?.login as { __typename: string; code?: string };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-import-'));
    const database = join(dir, 'import.db');
    server = await startTestServer({ DATABASE_URL: database });
    h = new TransferHarness(server, dir, database);
    assert.equal((await h.gatehouse(['role', 'add', 'editor'])).code, 0);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hashesCsv = () =>
    writeCsv(
      dir,
      'hashes.csv',
      HEADER,
      ascii.map((v, i) => [`v${i}@import.example`, v.hash, i === 0 ? 'admin editor' : '', true, created(i), v.source]),
    );

  test('a dry run (the default) checks the whole file and writes nothing', async () => {
    const before = await h.counts();
    const run = await h.gatehouse(['user', 'import', hashesCsv()]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `Checked ${ascii.length} rows of hashes.csv: ${ascii.length} accounts to create.\nDry run: nothing was written. Run again with --apply to import.\n`);
    assert.deepEqual(await h.counts(), before);
  });

  test('--apply imports every hash format; each account signs in with its old password once, which stores argon2id', async () => {
    const run = await h.gatehouse(['user', 'import', hashesCsv(), '--apply']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Imported ${ascii.length} accounts from hashes\\.csv, in one transaction\\.`));

    const first = await h.user('v0@import.example');
    assert.deepEqual(roleNames(first), ['admin', 'editor', 'user']);
    for (const [i, vector] of ascii.entries()) {
      const email = `v${i}@import.example`;
      const stored = await h.user(email);
      assert.equal(stored.passwordHash, vector.hash, 'imported as it was');
      assert.equal(stored.createdAt.toISOString(), created(i));
      assert.equal(stored.emailConfirmedAt?.toISOString(), created(i), 'email_confirmed true: confirmed at its creation');
      assert.equal(stored.displayName, vector.source);
      if (i > 0) assert.deepEqual(roleNames(stored), ['user']);

      assert.equal((await signIn(email, `${vector.password}!`)).code, 'INVALID_CREDENTIALS', vector.source);
      assert.equal((await signIn(email, vector.password)).__typename, 'CreatedSession', vector.source);
      const rehashed = (await h.user(email)).passwordHash!;
      assert.match(rehashed, /^\$argon2id\$/, vector.source);
      assert.equal(needsRehash(rehashed), false);
      assert.ok(await verifyPassword(rehashed, vector.password));
      assert.equal((await signIn(email, vector.password)).__typename, 'CreatedSession', 'and again, now on argon2id');
      assert.equal((await h.user(email)).createdAt.toISOString(), created(i), 'the rehash keeps the creation time');
    }

    const audit = await h.em().find(AuditEvent, { action: 'user.import' });
    assert.equal(audit.length, 1, 'one audit event for the run, not one per account');
    assert.equal(audit[0]!.actorType, 'cli');
    assert.deepEqual(audit[0]!.details, { file: 'hashes.csv', format: 'csv', rows: ascii.length, created: ascii.length, skipped: 0, batches: 1, batchSize: null, completed: true });
  });

  test('JSON Lines: non-ASCII passwords, profile fields, and the confirmed and disabled states are kept', async () => {
    const rows = unicode.map((v, i) => ({
      email: `U${i}@Unicode.Example`,
      password_hash: v.hash,
      roles: i === 0 ? ['editor'] : [],
      email_confirmed_at: i === 1 ? null : '2022-03-04T05:06:07.089+02:00',
      created_at: '2022-01-01',
      disabled: i === 2,
      first_name: 'Zoë',
      bio: 'line one\nline two',
    }));
    const run = await h.gatehouse(['user', 'import', writeJsonLines(dir, 'unicode.jsonl', rows), '--apply']);
    assert.equal(run.code, 0, run.stderr);

    const first = await h.user('u0@unicode.example');
    assert.equal(first.email, 'U0@unicode.example', 'normalised like a registration: the domain lower-cased');
    assert.deepEqual(roleNames(first), ['editor', 'user']);
    assert.equal(first.emailConfirmedAt?.toISOString(), '2022-03-04T03:06:07.089Z');
    assert.equal(first.createdAt.toISOString(), '2022-01-01T00:00:00.000Z');
    assert.equal(first.firstName, 'Zoë');
    assert.equal(first.bio, 'line one\nline two');
    assert.equal((await h.user('u1@unicode.example')).emailConfirmedAt, null);

    assert.equal((await signIn('U1@unicode.example', unicode[1]!.password)).code, 'EMAIL_NOT_CONFIRMED');
    assert.equal((await signIn('U2@unicode.example', unicode[2]!.password)).code, 'ACCOUNT_DISABLED');
    for (const [i, vector] of unicode.entries()) {
      if (i === 1 || i === 2) continue;
      assert.equal((await signIn(`U${i}@unicode.example`, vector.password)).__typename, 'CreatedSession', vector.source);
      assert.match((await h.user(`u${i}@unicode.example`)).passwordHash!, /^\$argon2id\$/);
    }
  });

  test('an unknown or malformed hash is refused by line, even with --apply and --batch-size: nothing is written', async () => {
    const file = writeCsv(dir, 'unknown-hash.csv', ['email', 'password_hash'], [
      ['fine1@bad.example', SOME_HASH],
      ['fine2@bad.example', SOME_HASH],
      ['md5@bad.example', '5f4dcc3b5aa765d61d8327deb882cf99'],
      ['short@bad.example', '$2b$10$tooshort'],
    ]);
    for (const extra of [['--apply'], ['--apply', '--batch-size', '1']]) {
      await h.expectRefused([file, ...extra], [
        /^line 4: password_hash: unknown hash format; supported: argon2 .*bcrypt .*scrypt .*PBKDF2 /m,
        /^line 5: password_hash: malformed bcrypt hash/m,
        /^2 problems in 4 rows; nothing was imported\.$/m,
      ]);
    }
  });

  test('work factors that would stall sign-in (bcrypt cost 31, 10^10 PBKDF2 iterations) are refused', async () => {
    const file = writeCsv(dir, 'costly.csv', ['email', 'password_hash'], [
      ['bcrypt31@bad.example', SOME_HASH.replace('$10$', '$31$')],
      ['pbkdf2@bad.example', `$pbkdf2-sha256$10000000000$c2FsdA$${'A'.repeat(43)}`],
    ]);
    await h.expectRefused([file, '--apply'], [
      /^line 2: password_hash: bcrypt cost 31 is over Gatehouse's limit of 14/m,
      /^line 3: password_hash: PBKDF2 iterations 10000000000 is over Gatehouse's limit of 5000000/m,
    ]);
  });

  test('a truncated CSV (a quote never closed) and a JSON Lines file with a cut last line are refused', async () => {
    const csv = writeText(dir, 'truncated.csv', `email,password_hash\nfine@bad.example,${SOME_HASH}\n"cut@bad.example,$2b$10$abc\n`);
    await h.expectRefused([csv, '--apply'], [/^line 3: a quoted field is never closed: the file is truncated or its quoting is broken\. Nothing after this point was read\.$/m]);
    const jsonl = writeText(dir, 'truncated.jsonl', `${JSON.stringify({ email: 'fine@bad.example' })}\n${JSON.stringify({ email: 'fine2@bad.example' })}\n{"email":"cut@bad.exa`);
    await h.expectRefused([jsonl, '--apply'], [/^line 3: not valid JSON \(.*\); a cut-off last line means the file is truncated\./m]);
    const ragged = writeText(dir, 'ragged.csv', `email,password_hash\nfine@bad.example,${SOME_HASH}\nshort@bad.example\n`);
    await h.expectRefused([ragged, '--apply'], [/^line 3: the row does not have as many fields as the header/m]);
  });

  test('a duplicate email in the file (whatever its case) or one that has an account is refused, unless --skip-existing', async () => {
    const duplicates = writeCsv(dir, 'duplicates.csv', ['email'], [['Twice@dup.example'], ['other@dup.example'], ['twice@DUP.example']]);
    await h.expectRefused([duplicates, '--apply'], [/^line 4: email: twice@dup\.example is already on line 2 \(emails are unique, whatever their case\)\.$/m]);

    const existing = writeCsv(dir, 'existing.csv', ['email', 'password_hash'], [['new@dup.example', SOME_HASH], ['V0@import.example', SOME_HASH]]);
    await h.expectRefused([existing, '--apply'], [/^line 3: email: an account with this email already exists \(use --skip-existing to skip such rows\)\.$/m]);
    const before = await h.user('v0@import.example');
    const skip = await h.gatehouse(['user', 'import', existing, '--apply', '--skip-existing']);
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stdout, /^Imported 1 accounts from existing\.csv, 1 skipped \(their email already has an account\), in one transaction\./);
    const after = await h.user('v0@import.example');
    assert.equal(after.passwordHash, before.passwordHash, 'a skipped account is left as it was');
    assert.ok(await h.em().findOne(User, { emailKey: 'new@dup.example' }));
  });

  test('unknown roles, bad times, bad emails and wrong types are each named with their line', async () => {
    const roles = writeCsv(dir, 'roles.csv', ['email', 'roles'], [['a@roles.example', 'editor'], ['b@roles.example', 'auditor'], ['c@roles.example', 'editor auditor']]);
    await h.expectRefused([roles, '--apply'], [/^line 3: roles: unknown role "auditor" \(first used on this line/m, /^1 problem in 3 rows/m]);

    const times = writeCsv(dir, 'times.csv', ['email', 'created_at', 'email_confirmed_at'], [
      ['a@times.example', '2021-02-30', ''],
      ['b@times.example', '2021-03-01T10:00:00', ''],
      ['c@times.example', '2999-01-01T00:00:00Z', ''],
      ['d@times.example', '2021-03-01T10:00:00Z', 'yesterday'],
    ]);
    await h.expectRefused([times, '--apply'], [
      /^line 2: created_at: expected an ISO 8601 time such as 2024-05-17T09:30:00Z \(a date alone is midnight UTC\), got "2021-02-30"\.$/m,
      /^line 3: created_at: expected an ISO 8601 time .*got "2021-03-01T10:00:00"/m,
      /^line 4: created_at: 2999-01-01T00:00:00Z is in the future\.$/m,
      /^line 5: email_confirmed_at: expected an ISO 8601 time/m,
    ]);

    const emails = writeCsv(dir, 'emails.csv', ['email', 'email_confirmed', 'phone'], [['not-an-email', 'true', ''], ['', 'false', ''], ['ok@emails.example', 'maybe', 'call me']]);
    await h.expectRefused([emails, '--apply'], [
      /^line 2: email: Enter a valid email address, like name@example\.com\.$/m,
      /^line 3: email: required\.$/m,
      /^line 4: email_confirmed: expected true or false \(or 1 or 0\)\.$/m,
      /^line 4: phone: Enter a phone number/m,
    ]);

    const types = writeJsonLines(dir, 'types.jsonl', [
      { email: 'a@types.example', nickname: 'x' },
      { email: 'b@types.example', email_confirmed: 'yes', roles: 'editor' },
      { email: 'c@types.example', roles: [1], display_name: 7 },
      { email: 'd@types.example', email_confirmed: false, email_confirmed_at: '2020-01-01' },
    ]);
    await h.expectRefused([types, '--apply'], [
      /^line 1: unknown field "nickname"; the fields are email, password_hash, /m,
      /^line 2: email_confirmed: expected true or false \(or 1 or 0\)\.$/m,
      /^line 3: display_name: expected text\.$/m,
      /^line 3: roles: every role name must be non-empty text\.$/m,
      /^line 4: email_confirmed: false, but email_confirmed_at gives a time\.$/m,
    ]);
  });

  test('a bad header, a file that is not UTF-8, and a problem count past the listing limit', async () => {
    await h.expectRefused([writeText(dir, 'header.csv', 'email,emial\na@b.example,x\n'), '--apply'], [/^line 1: unknown column "emial" in the header; the columns are email, /m]);
    await h.expectRefused([writeText(dir, 'no-email.csv', 'password_hash\nx\n'), '--apply'], [/^line 1: the header has no "email" column\./m]);
    await h.expectRefused([writeText(dir, 'empty.csv', ''), '--apply'], [/^line 1: the file is empty; a CSV file starts with a header row/m]);
    const latin1 = Buffer.concat([Buffer.from('email,display_name\nok@utf.example,plain\nbad@utf.example,caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    await h.expectRefused([writeText(dir, 'latin1.csv', latin1), '--apply'], [/^line 3: the file is not UTF-8 text; save it as UTF-8\./m]);
    const many = writeCsv(dir, 'many.csv', ['email'], Array.from({ length: 150 }, (_, i) => [`bad-${i}`]));
    const run = await h.expectRefused([many, '--apply'], [/^line 101: email: /m, /^… and 50 more problems\.$/m, /^150 problems in 150 rows; nothing was imported\.$/m]);
    assert.doesNotMatch(run.stderr, /^line 102:/m);
  });

  test('usage errors: a missing file, an unknown format, a bad batch size', async () => {
    const missing = await h.gatehouse(['user', 'import', join(dir, 'nope.csv')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^No file .*nope\.csv\.$/m);
    const txt = writeText(dir, 'users.txt', 'email\n');
    assert.match((await h.gatehouse(['user', 'import', txt])).stderr, /Cannot tell the format of .*users\.txt from its name/);
    assert.equal((await h.gatehouse(['user', 'import', txt, '--format', 'xml'])).code, 2);
    assert.equal((await h.gatehouse(['user', 'import', txt, '--format', 'csv', '--batch-size', '0'])).code, 2);
    const asCsv = await h.gatehouse(['user', 'import', txt, '--format', 'csv']);
    assert.equal(asCsv.code, 0, asCsv.stderr);
    assert.match(asCsv.stdout, /^Checked 0 rows of users\.txt/);
  });

  test('--batch-size commits batch by batch and says so', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => [`batch${i}@batch.example`, SOME_HASH]);
    const run = await h.gatehouse(['user', 'import', writeCsv(dir, 'batches.csv', ['email', 'password_hash'], rows), '--apply', '--batch-size', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.split('\n').slice(0, 3), [
      'Batch 1 committed: lines 2–3 (2 created, 0 skipped so far).',
      'Batch 2 committed: lines 4–5 (4 created, 0 skipped so far).',
      'Batch 3 committed: lines 6–6 (5 created, 0 skipped so far).',
    ]);
    assert.match(run.stdout, /Imported 5 accounts from batches\.csv, in 3 batches\./);
    assert.equal(await h.em().count(User, { emailKey: { $like: '%@batch.example' } }), 5);
  });

  test('a batched import killed part-way keeps whole batches only, and --skip-existing goes on from there', async () => {
    const total = 20_000;
    const file = writeCsv(dir, 'resume.csv', ['email', 'password_hash', 'roles'], Array.from({ length: total }, (_, i) => [`r${i}@resume.example`, SOME_HASH, 'editor']));
    const child = await spawnGatehouse(['user', 'import', file, '--apply', '--batch-size', '100'], { cwd: dir, databasePath: h.database });
    child.stdin.end();
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('Batch 2 committed')) resolve();
      });
      child.on('close', () => resolve());
    });
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'close');
    assert.equal(child.signalCode, 'SIGKILL', `the import finished before it could be interrupted:\n${stdout}`);

    const resumeUsers = { emailKey: { $like: '%@resume.example' } };
    const committed = await h.em().count(User, resumeUsers);
    assert.ok(committed >= 200 && committed < total, `${committed} committed`);
    assert.equal(committed % 100, 0, 'only whole batches were committed');

    const rerun = await h.gatehouse(['user', 'import', file, '--apply', '--batch-size', '5000', '--skip-existing']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, new RegExp(`Imported ${total - committed} accounts from resume\\.csv, ${committed} skipped`));
    assert.equal(await h.em().count(User, resumeUsers), total);
    const [links] = await h.em().execute<Array<{ n: number | string }>>(
      "select count(*) as n from user_roles ur join users u on u.id = ur.user_id join roles r on r.id = ur.role_id where r.name = 'editor' and u.email_key like '%@resume.example'",
    );
    assert.equal(Number(links!.n), total, 'every account got its role exactly once');
  });
});
