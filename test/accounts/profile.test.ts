// The signed-in user's own account: updateProfile and changePassword, end to end over HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfirmedUser, errorCodes, login, startTestServer, STRONG_PASSWORD, type TestServer, answeredNothing } from '../helpers/server.ts';
import { loginOutcome } from './account-helpers.ts';

const NEW_PASSWORD = 'purple elephant juggles seven lanterns';

const PROFILE_FIELDS = 'email displayName firstName lastName phone bio avatarUrl updatedAt';

const VIEWER = `{ viewer { ${PROFILE_FIELDS} } }`;

const UPDATE_PROFILE = `mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    __typename
    ... on User { ${PROFILE_FIELDS} }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;

const CHANGE_PASSWORD = `mutation($currentPassword: String!, $newPassword: String!) {
  changePassword(input: { currentPassword: $currentPassword, newPassword: $newPassword }) {
    __typename
    ... on User { email updatedAt }
    ... on Error { code message }
    ... on ValidationError { fields { field messages } }
  }
}`;

async function viewer(server: TestServer, token: string) {
  const res = await server.gql(VIEWER, {}, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data?.viewer;
}

async function updateProfile(server: TestServer, token: string, input: Record<string, unknown>) {
  const res = await server.gql(UPDATE_PROFILE, { input }, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data?.updateProfile;
}

async function changePassword(server: TestServer, token: string, currentPassword: string, newPassword: string) {
  const res = await server.gql(CHANGE_PASSWORD, { currentPassword, newPassword }, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data?.changePassword;
}

const fieldNames = (result: { fields: Array<{ field: string }> }) => result.fields.map((f) => f.field).sort();

describe('own account', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  describe('updateProfile', () => {
    test('sets the given fields, trimmed, and keeps them', async () => {
      const email = 'profile.set@example.com';
      const { token } = await createConfirmedUser(server, email);
      const before = await viewer(server, token);
      server.clock.advance(5000);

      const result = await updateProfile(server, token, {
        displayName: '  Ada  ',
        firstName: ' Ada ',
        lastName: 'Lovelace ',
        phone: ' +44 (20) 7946-0958 ',
        bio: '  Wrote the first program.\nLiked poetry.  ',
        avatarUrl: ' https://example.com/ada.png ',
      });
      const expected = {
        email,
        displayName: 'Ada',
        firstName: 'Ada',
        lastName: 'Lovelace',
        phone: '+44 (20) 7946-0958',
        bio: 'Wrote the first program.\nLiked poetry.',
        avatarUrl: 'https://example.com/ada.png',
      };
      const { __typename, updatedAt, ...returned } = result;
      assert.equal(__typename, 'User');
      assert.deepEqual(returned, expected);
      assert.equal(new Date(updatedAt).getTime(), new Date(before.updatedAt).getTime() + 5000);

      assert.deepEqual(await viewer(server, token), { ...expected, updatedAt });
    });

    test('leaves omitted fields alone and clears a field given null, "" or only spaces', async () => {
      const { token } = await createConfirmedUser(server, 'profile.clear@example.com', STRONG_PASSWORD, {
        displayName: 'Grace',
        firstName: 'Grace',
        lastName: 'Hopper',
        bio: 'Rear admiral.',
      });

      const result = await updateProfile(server, token, { displayName: null, firstName: '', bio: '   ' });
      assert.equal(result.__typename, 'User');
      const stored = await viewer(server, token);
      assert.equal(stored.displayName, null);
      assert.equal(stored.firstName, null);
      assert.equal(stored.bio, null);
      assert.equal(stored.lastName, 'Hopper', 'an omitted field is kept');

      assert.equal((await updateProfile(server, token, {})).__typename, 'User');
      assert.equal((await viewer(server, token)).lastName, 'Hopper');
    });

    test('names every invalid field in one ValidationError and changes nothing', async () => {
      const { token } = await createConfirmedUser(server, 'profile.invalid@example.com', STRONG_PASSWORD, { displayName: 'Kept' });
      const before = await viewer(server, token);
      server.clock.advance(5000);

      const result = await updateProfile(server, token, {
        displayName: 'x'.repeat(101),
        firstName: 'two\nlines',
        lastName: 'y'.repeat(101),
        phone: 'call me maybe',
        bio: 'z'.repeat(2001),
        avatarUrl: 'javascript:alert(1)',
      });
      assert.equal(result.__typename, 'ValidationError');
      assert.equal(result.code, 'VALIDATION_FAILED');
      assert.deepEqual(fieldNames(result), ['avatarUrl', 'bio', 'displayName', 'firstName', 'lastName', 'phone']);
      for (const field of result.fields) assert.ok(field.messages.length > 0, field.field);
      assert.deepEqual(await viewer(server, token), before);
    });

    test('one invalid field rejects the whole update, valid fields included', async () => {
      const { token } = await createConfirmedUser(server, 'profile.partial@example.com', STRONG_PASSWORD, { displayName: 'Kept' });
      const before = await viewer(server, token);

      for (const [field, value] of [
        ['avatarUrl', 'not a url'],
        ['avatarUrl', 'ftp://example.com/a.png'],
        ['avatarUrl', `https://example.com/${'a'.repeat(2048)}`],
        ['phone', '12'],
        ['phone', '+1 555 0100 ext. 7'],
        ['phone', '1'.repeat(41)],
        ['bio', 'bell\u0007'],
      ] as const) {
        const result = await updateProfile(server, token, { displayName: 'Changed', [field]: value });
        assert.equal(result.__typename, 'ValidationError', `${field}: ${value.slice(0, 30)}`);
        assert.deepEqual(fieldNames(result), [field]);
      }
      assert.deepEqual(await viewer(server, token), before);
    });

    test('accepts values exactly at the limits', async () => {
      const { token } = await createConfirmedUser(server, 'profile.limits@example.com');
      const input = { displayName: 'd'.repeat(100), bio: 'b'.repeat(2000), phone: '+' + '1'.repeat(39), avatarUrl: 'http://example.com/' };
      assert.equal((await updateProfile(server, token, input)).__typename, 'User');
      const stored = await viewer(server, token);
      assert.equal(stored.displayName, input.displayName);
      assert.equal(stored.bio, input.bio);
      assert.equal(stored.phone, input.phone);
      assert.equal(stored.avatarUrl, input.avatarUrl);
    });

    test('without a session: UNAUTHENTICATED', async () => {
      const res = await server.gql(UPDATE_PROFILE, { input: { displayName: 'Nobody' } });
      assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
      assert.ok(answeredNothing(res));
    });
  });

  describe('changePassword', () => {
    test('without a session: UNAUTHENTICATED', async () => {
      const res = await server.gql(CHANGE_PASSWORD, { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
      assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
      assert.ok(answeredNothing(res));
    });

    test('a wrong current password is InvalidCredentialsError and changes nothing', async () => {
      const email = 'change.wrong@example.com';
      const { token } = await createConfirmedUser(server, email);
      const result = await changePassword(server, token, 'not my password at all', NEW_PASSWORD);
      assert.equal(result.__typename, 'InvalidCredentialsError');
      assert.equal(result.code, 'INVALID_CREDENTIALS');
      assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'CreatedSession');
      assert.equal(await loginOutcome(server, email, NEW_PASSWORD), 'INVALID_CREDENTIALS');
    });

    test('a weak new password, or the current one again, is a ValidationError on newPassword', async () => {
      const email = 'change.weak@example.com';
      const { token } = await createConfirmedUser(server, email, STRONG_PASSWORD, { displayName: 'Marvin Minsky' });
      for (const newPassword of ['password', 'short', 'marvinminsky', STRONG_PASSWORD]) {
        const result = await changePassword(server, token, STRONG_PASSWORD, newPassword);
        assert.equal(result.__typename, 'ValidationError', newPassword);
        assert.equal(result.code, 'VALIDATION_FAILED');
        assert.deepEqual(fieldNames(result), ['newPassword']);
        assert.ok(result.fields[0].messages.length > 0);
      }
      const same = await changePassword(server, token, STRONG_PASSWORD, STRONG_PASSWORD);
      assert.match(same.fields[0].messages.join(' '), /different/);
      assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'CreatedSession');
    });

    test('success keeps this session, ends the other sessions, and the new password signs in', async () => {
      const email = 'change.success@example.com';
      const { token: current } = await createConfirmedUser(server, email);
      const { token: other } = await login(server, email);
      const { token: third } = await login(server, email);
      const before = await viewer(server, current);
      server.clock.advance(5000);

      const result = await changePassword(server, current, STRONG_PASSWORD, NEW_PASSWORD);
      assert.equal(result.__typename, 'User');
      assert.equal(result.email, email);
      assert.equal(new Date(result.updatedAt).getTime(), new Date(before.updatedAt).getTime() + 5000);

      assert.equal((await viewer(server, current)).email, email, 'the session that changed the password still works');
      for (const token of [other, third]) {
        const res = await server.gql('{ viewer { id } }', {}, { token });
        assert.equal(res.status, 401);
        assert.deepEqual(errorCodes(res), ['UNAUTHENTICATED']);
      }
      const sessions = await server.gql('{ viewer { sessions { current } } }', {}, { token: current });
      assert.deepEqual(sessions.body.data?.viewer.sessions, [{ current: true }]);

      assert.equal(await loginOutcome(server, email, STRONG_PASSWORD), 'INVALID_CREDENTIALS');
      const { token: fresh } = await login(server, email, NEW_PASSWORD);
      assert.equal((await viewer(server, fresh)).email, email);
    });
  });
});
