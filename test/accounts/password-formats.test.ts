// Reading other systems' password hashes: vectors made by passlib, Django, pyca/bcrypt and
// argon2-cffi (test/fixtures/make-password-vectors.py) and ones printed in those projects' docs
// verify with the right password only; malformed and too costly hashes are refused with a reason.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFormatProblem, parseHash, WORK_LIMITS } from '../../src/accounts/password-formats.ts';
import { hashPassword, needsRehash, verifyPassword } from '../../src/accounts/passwords.ts';

interface Vector {
  source: string;
  password: string;
  hash: string;
}

const GENERATED: Vector[] = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'password-vectors.json'), 'utf8'));

/** Printed in the passlib documentation (passlib.hash.pbkdf2_digest) and the OpenBSD bcrypt test suite. */
const DOCUMENTED: Vector[] = [
  { source: 'passlib docs, pbkdf2_sha256.hash("password")', password: 'password', hash: '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M' },
  { source: 'passlib docs, rounds=8000, salt_size=10', password: 'password', hash: '$pbkdf2-sha256$8000$XAuBMIYQQogxRg$tRRlz8hYn63B9LYiCd6PRo6FMiunY9ozmMMI3srxeRE' },
  { source: 'OpenBSD bcrypt test vector', password: 'U*U', hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' },
];

describe('foreign password hashes', () => {
  test('the fixtures cover every format the import accepts', () => {
    const sources = new Set(GENERATED.map((v) => v.source));
    for (const source of ['passlib pbkdf2-sha256', 'passlib scrypt', 'django pbkdf2_sha256', 'django scrypt', 'bcrypt $2a$', 'bcrypt $2b$', 'bcrypt $2y$', 'argon2i', 'argon2d', 'django argon2', 'django bcrypt_sha256']) {
      assert.ok(sources.has(source), source);
    }
  });

  for (const vector of [...GENERATED, ...DOCUMENTED]) {
    test(`${vector.source} (${JSON.stringify(vector.password)}) verifies with its password only`, async () => {
      assert.equal(hashFormatProblem(vector.hash), null);
      assert.equal(await verifyPassword(vector.hash, vector.password), true);
      assert.equal(await verifyPassword(vector.hash, `${vector.password}x`), false);
      assert.equal(await verifyPassword(vector.hash, vector.password.slice(0, -1)), false);
      assert.equal(needsRehash(vector.hash), true, 'anything but argon2id with our parameters is replaced at sign-in');
    });
  }

  test('our own argon2id needs no rehash; another argon2id parameter set does', async () => {
    const ours = await hashPassword('pw one two three');
    assert.equal(needsRehash(ours), false);
    assert.equal(needsRehash(`argon2${ours}`), true, 'a Django-prefixed copy is replaced by the plain PHC string');
    assert.equal(needsRehash(GENERATED.find((v) => v.source.startsWith('argon2id'))!.hash), true);
  });

  test('a changed byte in the checksum fails verification instead of throwing', async () => {
    const vector = GENERATED.find((v) => v.source === 'django pbkdf2_sha256')!;
    const last = vector.hash.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${vector.hash.slice(0, -2)}${last}=`;
    assert.equal(await verifyPassword(tampered, vector.password), false);
  });

  test('unknown formats, malformed hashes and excessive work factors are refused with a reason', () => {
    const bcrypt = '$2b$10$' + 'a'.repeat(53);
    const cases: Array<[string, RegExp]> = [
      ['5f4dcc3b5aa765d61d8327deb882cf99', /^unknown hash format; supported: argon2/],
      ['$1$saltsalt$qjXMvbEw8oaL.CzflDugX/', /^unknown hash format/],
      ['sha1$abc$0123', /^unknown hash format/],
      ['$2x$10$' + 'a'.repeat(53), /^malformed bcrypt hash/],
      ['$2b$10$' + 'a'.repeat(52), /^malformed bcrypt hash/],
      ['$2b$03$' + 'a'.repeat(53), /cost 3 is below bcrypt's minimum/],
      [bcrypt.replace('$10$', '$31$'), /^bcrypt cost 31 is over Gatehouse's limit of 14/],
      ['$pbkdf2-sha256$10000000000$c2FsdA$' + 'A'.repeat(43), /^PBKDF2 iterations 10000000000 is over Gatehouse's limit of 5000000/],
      ['$pbkdf2-sha256$1000$c2FsdA$' + 'A'.repeat(42), /a sha256 checksum is 32 bytes/],
      ['$pbkdf2-sha256$0$c2FsdA$' + 'A'.repeat(43), /at least 1 iteration/],
      ['$pbkdf2-sha384$1000$c2FsdA$' + 'A'.repeat(43), /^malformed passlib PBKDF2 hash/],
      ['pbkdf2_sha256$1000$salt$notbase64!', /^malformed Django PBKDF2 hash/],
      ['pbkdf2_sha256$1000$salt$AAAA', /a sha256 hash is 32 bytes, this one 3/],
      [`pbkdf2_sha256$${WORK_LIMITS.pbkdf2Iterations + 1}$salt$${'A'.repeat(43)}=`, /PBKDF2 iterations 5000001 is over/],
      ['$scrypt$ln=30,r=8,p=1$c2FsdA$' + 'A'.repeat(43), /^scrypt memory 128·N·r=\d+ bytes is over/],
      ['$scrypt$ln=16,r=8,p=16$c2FsdA$' + 'A'.repeat(43), /^scrypt work N·r·p=8388608 is over/],
      ['scrypt$1000$salt$8$1$' + 'A'.repeat(86) + '==', /N=1000 is not a power of two/],
      ['$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHQ$' + 'A'.repeat(43), /^argon2 memory m=4194304 KiB is over/],
      ['$argon2id$v=19$m=65536,t=100,p=1$c2FsdHNhbHQ$' + 'A'.repeat(43), /^argon2 work m·t=6553600 KiB is over/],
      ['$argon2id$v=19$m=65536,t=3$c2FsdHNhbHQ$' + 'A'.repeat(43), /^malformed argon2 hash/],
      ['$argon2id$v=19$m=65536,t=3,t=3$c2FsdHNhbHQ$' + 'A'.repeat(43), /m, t and p must each appear once/],
      ['$argon2id$v=19$m=65536,t=3,p=1$c2Fsd$' + 'A'.repeat(43), /^malformed argon2 salt/],
    ];
    for (const [hash, expected] of cases) assert.match(hashFormatProblem(hash) ?? 'accepted', expected, hash);
  });

  test('a stored hash Gatehouse cannot read never verifies (a mismatch, not a crash)', async () => {
    assert.equal(await verifyPassword('not a hash', 'anything'), false);
    assert.equal(await verifyPassword('$2b$31$' + 'a'.repeat(53), 'anything'), false);
    assert.equal(needsRehash('not a hash'), true);
    assert.throws(() => parseHash(''), /unknown hash format/);
  });
});
