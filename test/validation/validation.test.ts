import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { invalid, valid } from '../../src/validation/registry.ts';

const STRENGTH = `query($password: String!, $email: String) {
  validatePassword(password: $password, email: $email) { score acceptable issues suggestions }
}`;
const VALIDATE = `query($rule: String!, $value: String!, $other: String) {
  validate(rule: $rule, value: $value, other: $other) { valid messages }
}`;

describe('live-form validation', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, {
      validators: [
        {
          name: 'companyEmail',
          description: 'Addresses at example.org only.',
          validate: ({ value }) => (value.endsWith('@example.org') ? valid : invalid('Use your example.org address.')),
        },
      ],
    });
  });
  after(() => server.close());

  test('scores passwords from a dictionary, not from character classes', async () => {
    const common = await server.gql(STRENGTH, { password: 'P@ssw0rd1' });
    const phrase = await server.gql(STRENGTH, { password: STRONG_PASSWORD });
    const weak = common.body.data.validatePassword;
    const strong = phrase.body.data.validatePassword;
    assert.equal(weak.acceptable, false, 'a l33t-speak dictionary word with all character classes is still weak');
    assert.ok(weak.issues.length > 0 && weak.suggestions.length > 0);
    assert.equal(strong.acceptable, true);
    assert.deepEqual(strong.issues, []);
    assert.ok(strong.score > weak.score && strong.score <= 100 && weak.score >= 0);
  });

  test('penalises passwords built from the email', async () => {
    const password = 'zanzibarquokka';
    const alone = (await server.gql(STRENGTH, { password })).body.data.validatePassword;
    const withEmail = (await server.gql(STRENGTH, { password, email: 'zanzibar.quokka@example.com' })).body.data.validatePassword;
    assert.ok(withEmail.score < alone.score, `${withEmail.score} should be below ${alone.score}`);
    assert.equal(withEmail.acceptable, false);
  });

  test('penalises names typed into separate fields, alone and joined', async () => {
    const query = `query($p: String!, $u: [String!]) { validatePassword(password: $p, userInputs: $u) { acceptable } }`;
    const names = ['Marvin', 'Minsky'];
    assert.equal((await server.gql(query, { p: 'marvinminsky1', u: [] })).body.data.validatePassword.acceptable, true);
    assert.equal((await server.gql(query, { p: 'marvinminsky1', u: names })).body.data.validatePassword.acceptable, false);
    const register = await server.gql(
      `mutation { register(input: { email: "mm@example.com", password: "marvinminsky1", firstName: "Marvin", lastName: "Minsky" }) { __typename } }`,
    );
    assert.equal(register.body.data.register.__typename, 'ValidationError');
  });

  test('enforces length 8..256 without truncating', async () => {
    const short = (await server.gql(STRENGTH, { password: 'Zq9!x' })).body.data.validatePassword;
    assert.equal(short.acceptable, false);
    assert.match(short.issues.join(' '), /at least 8/);
    const passphrase = 'seventeen purple zebras negotiate tax law on mars while the lazy dog sleeps under a blue umbrella';
    const long = (await server.gql(STRENGTH, { password: passphrase })).body.data.validatePassword;
    assert.equal(long.acceptable, true, 'passphrases well past 64 characters are accepted');
    const tooLong = (await server.gql(STRENGTH, { password: STRONG_PASSWORD.repeat(10) })).body.data.validatePassword;
    assert.equal(tooLong.acceptable, false);
    assert.match(tooLong.issues.join(' '), /at most 256/);
    const empty = (await server.gql(STRENGTH, { password: '' })).body.data.validatePassword;
    assert.deepEqual([empty.score, empty.acceptable], [0, false]);
  });

  test('validateEmail and the built-in rules', async () => {
    const ok = await server.gql(`{ validateEmail(email: "ada@example.com") { valid messages } }`);
    assert.deepEqual(ok.body.data.validateEmail, { valid: true, messages: [] });
    for (const bad of ['ada', 'ada@', '@example.com', 'ada@example', 'a b@example.com', `${'a'.repeat(65)}@example.com`]) {
      const res = await server.gql(`query($e: String!) { validateEmail(email: $e) { valid messages } }`, { e: bad });
      assert.equal(res.body.data.validateEmail.valid, false, bad);
      assert.ok(res.body.data.validateEmail.messages[0].length > 5);
    }
    const match = await server.gql(VALIDATE, { rule: 'passwordsMatch', value: 'abc', other: 'abc' });
    assert.equal(match.body.data.validate.valid, true);
    const mismatch = await server.gql(VALIDATE, { rule: 'passwordsMatch', value: 'abc', other: 'abd' });
    assert.deepEqual(mismatch.body.data.validate, { valid: false, messages: ['The passwords do not match.'] });
    const username = await server.gql(VALIDATE, { rule: 'username', value: 'ada_l' });
    assert.equal(username.body.data.validate.valid, true);
    const badUsername = await server.gql(VALIDATE, { rule: 'username', value: '-x y' });
    assert.equal(badUsername.body.data.validate.valid, false);
    // The same single-line rule as the profile names and token names the mutations check.
    assert.deepEqual((await server.gql(VALIDATE, { rule: 'singleLine', value: '  Ada Lovelace ' })).body.data.validate, { valid: true, messages: [] });
    for (const [value, message] of [
      ['two\nlines', 'Use a single line without control characters.'],
      ['tab\there', 'Use a single line without control characters.'],
      ['x'.repeat(101), 'Use at most 100 characters.'],
    ]) {
      assert.deepEqual((await server.gql(VALIDATE, { rule: 'singleLine', value })).body.data.validate, { valid: false, messages: [message] }, value);
    }
    const password = await server.gql(VALIDATE, { rule: 'password', value: 'password' });
    assert.equal(password.body.data.validate.valid, false);
  });

  test('custom validators registered in TypeScript are listed and run', async () => {
    const rules = await server.gql(`{ validationRules }`);
    assert.deepEqual(rules.body.data.validationRules, ['companyEmail', 'email', 'password', 'passwordsMatch', 'singleLine', 'username']);
    const res = await server.gql(VALIDATE, { rule: 'companyEmail', value: 'ada@example.com' });
    assert.deepEqual(res.body.data.validate, { valid: false, messages: ['Use your example.org address.'] });
  });

  test('an unknown rule is BAD_USER_INPUT naming the known ones', async () => {
    const res = await server.gql(VALIDATE, { rule: 'nope', value: 'x' });
    assert.equal(res.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(res.body.errors?.[0]?.message ?? '', /Unknown validation rule "nope"/);
    assert.ok(res.body.errors?.[0]?.extensions?.rules.includes('username'));
  });

  test('registration uses the same password rule as the live query', async () => {
    const res = await server.gql(
      `mutation { register(input: { email: "same.rule@example.com", password: "P@ssw0rd1" }) { __typename ... on ValidationError { fields { field messages } } } }`,
    );
    const live = (await server.gql(STRENGTH, { password: 'P@ssw0rd1', email: 'same.rule@example.com' })).body.data.validatePassword;
    assert.equal(res.body.data.register.__typename, 'ValidationError');
    assert.deepEqual(res.body.data.register.fields, [{ field: 'password', messages: live.issues }]);
  });
});
