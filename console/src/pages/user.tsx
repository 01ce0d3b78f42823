// One user's page (/users/:id): the profile and what the account holds (roles, sessions, access
// tokens, passkeys, linked accounts), the account's audit trail (with audit:read), and, with
// users:write, the profile form and the actions, each behind a confirmation dialog: disable or
// enable, set a password, end every session, reset the second factors, delete. Roles are
// checkboxes with roles:write, a list otherwise. An unknown id shows "User not found".
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import {
  ConsoleAssignRolesDocument,
  ConsoleDeleteUserDocument,
  ConsoleResetUserSecondFactorsDocument,
  ConsoleRevokeAccessTokenDocument,
  ConsoleRevokeUserSessionsDocument,
  ConsoleSetUserPasswordDocument,
  ConsoleUpdateUserDocument,
  ConsoleUserAuditDocument,
  ConsoleUserDocument,
  type ConsoleUserAuditQuery,
  type ConsoleUserDetailsFragment,
} from '../generated/graphql.ts';
import { ApiError, expect, messageOf, request } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, FieldErrors, formError, Status, useAction } from '../components.tsx';
import { Link, navigate } from '../router.tsx';
import { setFlash, takeFlash } from '../flash.ts';
import { useViewer } from '../viewer.ts';
import { statusLabel, useRoleChoices, type RoleChoice } from './users.tsx';

type User = ConsoleUserDetailsFragment;

type State = { kind: 'loading' } | { kind: 'missing' } | { kind: 'failed'; message: string } | { kind: 'ready'; user: User };

export function UserPage({ id }: { id: string }) {
  const { viewer, can, reload } = useViewer();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [notice, setNotice] = useState<string | null>(takeFlash);
  // Bumped after each change, so the audit trail shows it.
  const [changes, setChanges] = useState(0);

  const load = async () => {
    try {
      const { user } = await request(ConsoleUserDocument, { id });
      setState(user ? { kind: 'ready', user } : { kind: 'missing' });
    } catch (e) {
      setState({ kind: 'failed', message: messageOf(e) });
    }
  };
  useEffect(() => {
    void load();
  }, [id]);

  if (state.kind === 'loading') {
    return (
      <main id="main">
        <p role="status">Loading the user…</p>
      </main>
    );
  }
  if (state.kind === 'missing') {
    return (
      <main id="main">
        <h1>User not found</h1>
        <p>
          No user has the id <code>{id}</code>; the account may have been deleted. <Link to="/users">Back to the users</Link>
        </p>
      </main>
    );
  }
  if (state.kind === 'failed') {
    return (
      <main id="main">
        <h1>User</h1>
        <ErrorMessage message={state.message} />
        <p>
          <Link to="/users">Back to the users</Link>
        </p>
      </main>
    );
  }

  const { user } = state;
  const self = user.id === viewer.id;
  /** After a change: the user as the server now has it, a status line, and the audit trail again. */
  const changed = async (message: string, updated?: User) => {
    if (updated) setState({ kind: 'ready', user: updated });
    else await load();
    setNotice(message);
    setChanges((n) => n + 1);
    if (self) await reload();
  };

  return (
    <main id="main">
      <p class="crumbs">
        <Link to="/users">Users</Link>
      </p>
      <h1>{user.displayName || user.email}</h1>
      <p class="subtitle">
        {user.email} · <span class={`badge ${user.status.toLowerCase()}`}>{statusLabel(user.status)}</span>
        {user.isAdmin && <span class="badge">Administrator</span>}
        {self && <span class="badge">You</span>}
      </p>
      <Status message={notice} />

      <Profile user={user} />
      {can('users:write') && <Actions user={user} self={self} onChanged={changed} />}
      {can('users:write') && <ProfileForm key={user.updatedAt} user={user} onChanged={changed} />}
      <Roles user={user} onChanged={changed} />
      <Sessions user={user} />
      <AccessTokens user={user} onChanged={changed} />
      <Passkeys user={user} />
      <LinkedAccounts user={user} />
      {can('audit:read') && <AuditTrail userId={user.id} changes={changes} />}
    </main>
  );
}

function When({ at, empty = '—' }: { at: string | null | undefined; empty?: string }) {
  if (!at) return <>{empty}</>;
  return <time dateTime={at}>{new Date(at).toLocaleString()}</time>;
}

function Section({ title, children }: { title: string; children: ComponentChildren }) {
  const id = useId();
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/**
 * The last sign-in: the newest `auth.login` event about the user (with audit:read), else the start
 * of the newest live session (User has no field of its own for it).
 */
function useLastSignIn(user: User): { at: string | null; fromAudit: boolean } {
  const { can } = useViewer();
  const allowed = can('audit:read');
  const [logged, setLogged] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    if (!allowed) return;
    let current = true;
    request(ConsoleUserAuditDocument, { filter: { targetId: user.id, action: 'auth.login' }, first: 1 })
      .then((data) => current && setLogged(data.auditEvents.edges[0]?.node.at ?? null))
      .catch(() => current && setLogged(undefined));
    return () => {
      current = false;
    };
  }, [allowed, user.id, user.sessions.length]);
  if (logged !== undefined) return { at: logged, fromAudit: true };
  const newest = user.sessions.reduce<string | null>((latest, s) => (!latest || s.createdAt > latest ? s.createdAt : latest), null);
  return { at: newest, fromAudit: false };
}

function Profile({ user }: { user: User }) {
  const lastSignIn = useLastSignIn(user);
  const lastSeen = user.sessions.reduce<string | null>((latest, s) => (!latest || s.lastSeenAt > latest ? s.lastSeenAt : latest), null);
  const factors = [user.mfa.totpEnabled && 'authenticator app', user.mfa.passkeys > 0 && `${user.mfa.passkeys} passkey${user.mfa.passkeys === 1 ? '' : 's'}`].filter(Boolean);
  return (
    <Section title="Profile">
      <dl class="facts">
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Display name</dt>
        <dd>{user.displayName || '—'}</dd>
        <dt>First name</dt>
        <dd>{user.firstName || '—'}</dd>
        <dt>Last name</dt>
        <dd>{user.lastName || '—'}</dd>
        <dt>Phone</dt>
        <dd>{user.phone || '—'}</dd>
        {user.avatarUrl && (
          <>
            <dt>Avatar URL</dt>
            <dd>{user.avatarUrl}</dd>
          </>
        )}
        {user.bio && (
          <>
            <dt>Bio</dt>
            <dd class="bio">{user.bio}</dd>
          </>
        )}
        <dt>Status</dt>
        <dd>{statusLabel(user.status)}</dd>
        <dt>Email confirmed</dt>
        <dd>{user.emailConfirmed ? <>Yes, <When at={user.emailConfirmedAt} empty="" /></> : 'No'}</dd>
        <dt>Created</dt>
        <dd>
          <When at={user.createdAt} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <When at={user.updatedAt} />
        </dd>
        <dt>Last sign-in</dt>
        <dd>{lastSignIn.at ? <When at={lastSignIn.at} /> : lastSignIn.fromAudit ? 'None recorded' : 'No live session'}</dd>
        <dt>Last seen</dt>
        <dd>
          <When at={lastSeen} />
        </dd>
        <dt>Password</dt>
        <dd>{user.hasPassword ? 'Set' : 'None (signs in through a provider)'}</dd>
        <dt>Second factors</dt>
        <dd>
          {factors.length ? factors.join(', ') : 'None'}
          {user.mfa.enabled && `; ${user.mfa.recoveryCodesRemaining} recovery code${user.mfa.recoveryCodesRemaining === 1 ? '' : 's'} left`}
        </dd>
        <dt>Permissions</dt>
        <dd>{user.isAdmin ? 'Every permission (administrator)' : user.permissions.length ? user.permissions.join(', ') : 'None'}</dd>
      </dl>
    </Section>
  );
}

type Changed = (message: string, updated?: User) => Promise<void>;

function Actions({ user, self, onChanged }: { user: User; self: boolean; onChanged: Changed }) {
  const [password, setPassword] = useState('');
  const passwordId = useId();
  const who = user.email;
  const sessions = user.sessions.length;
  const youToo = self && <p class="warning">This is your own account: you will be signed out of the console too.</p>;

  const setDisabled = async (disabled: boolean) => {
    const { updateUser } = await request(ConsoleUpdateUserDocument, { input: { id: user.id, disabled } });
    await onChanged(disabled ? `Disabled ${who}; their sessions ended.` : `Enabled ${who}.`, expect(updateUser, 'User'));
  };

  return (
    <Section title="Actions">
      <div class="row actions">
        {user.disabled ? (
          <ConfirmButton label="Enable" title={`Enable ${who}?`} onConfirm={() => setDisabled(false)}>
            <p>They can sign in again.</p>
          </ConfirmButton>
        ) : (
          <ConfirmButton label="Disable" title={`Disable ${who}?`} danger onConfirm={() => setDisabled(true)}>
            <p>They cannot sign in while disabled, and every session they have ends now: the console and apps they are signed in to sign them out at once.</p>
          </ConfirmButton>
        )}
        <ConfirmButton
          label="Set password"
          title={`Set a new password for ${who}`}
          onOpen={() => setPassword('')}
          onConfirm={async () => {
            const { setUserPassword } = await request(ConsoleSetUserPasswordDocument, { input: { id: user.id, password } });
            const updated = expect(setUserPassword, 'User');
            setPassword('');
            await onChanged(`Set a new password for ${who}; their sessions ended.`, updated);
          }}
        >
          <p>Every session they have ends. Tell them the new password in person; they can change it once signed in.</p>
          {youToo}
          <label for={passwordId}>New password</label>
          <input id={passwordId} type="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </ConfirmButton>
        <ConfirmButton
          label="End all sessions"
          title={`End every session of ${who}?`}
          onConfirm={async () => {
            const { revokeUserSessions } = await request(ConsoleRevokeUserSessionsDocument, { input: { id: user.id } });
            const { count } = expect(revokeUserSessions, 'RevokedSessions');
            await onChanged(`Ended ${count} session${count === 1 ? '' : 's'} of ${who}.`);
          }}
        >
          <p>
            {sessions === 0 ? 'They have no live session now.' : `Their ${sessions === 1 ? 'session ends' : `${sessions} sessions end`} at once.`} They can sign in again;
            access tokens keep working.
          </p>
          {youToo}
        </ConfirmButton>
        <ConfirmButton
          label="Reset second factors"
          title={`Remove every second factor of ${who}?`}
          onConfirm={async () => {
            const { resetUserSecondFactors } = await request(ConsoleResetUserSecondFactorsDocument, { input: { id: user.id } });
            await onChanged(`Removed the second factors of ${who}.`, expect(resetUserSecondFactors, 'User'));
          }}
        >
          <p>
            Their authenticator app, passkeys and recovery codes are removed (for example after a lost phone); their password alone signs them in until they set up a
            second factor again. They are emailed about it.
          </p>
          {!user.mfa.enabled && user.passkeys.length === 0 && <p>They have no second factor now.</p>}
        </ConfirmButton>
        <ConfirmButton
          label="Delete user"
          title={`Delete ${who}?`}
          confirmLabel="Delete for good"
          danger
          onConfirm={async () => {
            const { deleteUser } = await request(ConsoleDeleteUserDocument, { input: { id: user.id } });
            const deleted = expect(deleteUser, 'DeletedUser');
            setFlash(`Deleted ${deleted.email}.`);
            navigate('/users');
          }}
        >
          <p>The account is deleted with its sessions, access tokens and linked accounts. This cannot be undone.</p>
          {youToo}
        </ConfirmButton>
      </div>
    </Section>
  );
}

const PROFILE_FIELDS = ['email', 'displayName', 'firstName', 'lastName', 'phone', 'avatarUrl', 'bio', 'confirmed'];

function ProfileForm({ user, onChanged }: { user: User; onChanged: Changed }) {
  const [values, setValues] = useState({
    email: user.email,
    displayName: user.displayName ?? '',
    firstName: user.firstName ?? '',
    lastName: user.lastName ?? '',
    phone: user.phone ?? '',
    avatarUrl: user.avatarUrl ?? '',
    bio: user.bio ?? '',
  });
  const [confirmed, setConfirmed] = useState(user.emailConfirmed);
  const action = useAction();
  const bioId = useId();
  const set = (field: keyof typeof values) => (value: string) => setValues({ ...values, [field]: value });
  const { fields } = action;

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      // "" clears a profile field; an unchanged value changes nothing.
      const { updateUser } = await request(ConsoleUpdateUserDocument, { input: { id: user.id, ...values, confirmed } });
      // An email already in use is a typed error of its own: shown beside the email field.
      if (updateUser?.__typename === 'EmailTakenError') throw new ApiError(updateUser.message, updateUser.code, [{ field: 'email', messages: [updateUser.message] }]);
      await onChanged('Saved the profile.', expect(updateUser, 'User'));
    });
  };

  return (
    <Section title="Edit profile">
      <form onSubmit={submit} aria-busy={action.busy} noValidate>
        <Field label="Email" type="email" autocomplete="off" value={values.email} onValue={set('email')} errors={fields['email']} hint="A new address is unconfirmed (and sent a confirmation link) unless marked confirmed below." />
        <label class="check">
          <input
            type="checkbox"
            checked={confirmed}
            aria-describedby={fields['confirmed'] ? `${bioId}-confirmed` : undefined}
            onChange={(e) => setConfirmed(e.currentTarget.checked)}
          />
          The email address is confirmed
        </label>
        <FieldErrors id={`${bioId}-confirmed`} errors={fields['confirmed']} />
        <Field label="Display name" autocomplete="off" value={values.displayName} onValue={set('displayName')} errors={fields['displayName']} />
        <Field label="First name" autocomplete="off" value={values.firstName} onValue={set('firstName')} errors={fields['firstName']} />
        <Field label="Last name" autocomplete="off" value={values.lastName} onValue={set('lastName')} errors={fields['lastName']} />
        <Field label="Phone" autocomplete="off" value={values.phone} onValue={set('phone')} errors={fields['phone']} />
        <Field label="Avatar URL" type="url" autocomplete="off" value={values.avatarUrl} onValue={set('avatarUrl')} errors={fields['avatarUrl']} />
        <label for={bioId}>Bio</label>
        <textarea
          id={bioId}
          rows={3}
          value={values.bio}
          aria-invalid={fields['bio'] ? true : undefined}
          aria-describedby={fields['bio'] ? `${bioId}-errors` : undefined}
          onInput={(e) => set('bio')(e.currentTarget.value)}
        />
        <FieldErrors id={`${bioId}-errors`} errors={fields['bio']} />
        <ErrorMessage message={formError(action, PROFILE_FIELDS)} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save profile'}
        </button>
      </form>
    </Section>
  );
}

function Roles({ user, onChanged }: { user: User; onChanged: Changed }) {
  const { can } = useViewer();
  const { roles, error } = useRoleChoices();
  const editable = can('roles:write') && roles !== null;
  return (
    <Section title="Roles">
      <ErrorMessage message={error} />
      {editable ? (
        <RolesForm key={user.roles.map((r) => r.name).join()} user={user} roles={roles} onChanged={onChanged} />
      ) : (
        <ul class="tags">
          {user.roles.map((role) => (
            <li key={role.id}>{role.name}</li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function RolesForm({ user, roles, onChanged }: { user: User; roles: RoleChoice[]; onChanged: Changed }) {
  const [chosen, setChosen] = useState(() => user.roles.map((r) => r.name));
  const action = useAction();
  const errorsId = useId();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const { assignRoles } = await request(ConsoleAssignRolesDocument, { input: { userId: user.id, roles: chosen.filter((name) => name !== 'user') } });
      await onChanged(`Saved the roles of ${user.email}.`, expect(assignRoles, 'User'));
    });
  };
  const toggle = (name: string, on: boolean) => setChosen(on ? [...chosen, name] : chosen.filter((n) => n !== name));
  return (
    <form onSubmit={submit} aria-busy={action.busy}>
      <fieldset aria-describedby={action.fields['roles'] ? errorsId : undefined}>
        <legend>Roles of {user.email}</legend>
        {roles.map((role) => (
          <label class="check" key={role.id}>
            <input
              type="checkbox"
              name="role"
              value={role.name}
              checked={role.name === 'user' || chosen.includes(role.name)}
              disabled={role.name === 'user'}
              onChange={(e) => toggle(role.name, e.currentTarget.checked)}
            />
            {role.name}
            {role.name === 'user' ? <span class="hint"> — every account holds it</span> : role.description && <span class="hint"> — {role.description}</span>}
          </label>
        ))}
        <FieldErrors id={errorsId} errors={action.fields['roles']} />
      </fieldset>
      <ErrorMessage message={formError(action, ['roles'])} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Saving…' : 'Save roles'}
      </button>
    </form>
  );
}

function Sessions({ user }: { user: User }) {
  return (
    <Section title="Sessions">
      {user.sessions.length === 0 ? (
        <p class="empty">No live session.</p>
      ) : (
        <ul class="items">
          {user.sessions.map((s) => (
            <li key={s.id}>
              <strong>{s.userAgent ? browserName(s.userAgent) : 'Unknown client'}</strong>
              {s.current && <span class="badge current">This session</span>}
              {s.impersonatedBy && (
                <span class="meta">
                  Impersonation by {s.impersonatedBy.email}: “{s.impersonatedBy.reason}”
                </span>
              )}
              <span class="meta">
                Signed in <When at={s.createdAt} /> · last seen <When at={s.lastSeenAt} /> · ends <When at={s.expiresAt} />
                {s.ipAddress && <> · from {s.ipAddress}</>}
              </span>
              {s.userAgent && <span class="meta ua">{s.userAgent}</span>}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function AccessTokens({ user, onChanged }: { user: User; onChanged: Changed }) {
  const { can } = useViewer();
  return (
    <Section title="Access tokens">
      {user.accessTokens.length === 0 ? (
        <p class="empty">No access token.</p>
      ) : (
        <ul class="items">
          {user.accessTokens.map((t) => (
            <li key={t.id}>
              <strong>{t.name}</strong> <code>{`${t.prefix}…${t.lastFour}`}</code>
              {t.expired && <span class="badge disabled">Expired</span>}
              <span class="meta">
                Created <When at={t.createdAt} /> · last used <When at={t.lastUsedAt} empty="never" /> · {t.expiresAt ? <>expires <When at={t.expiresAt} /></> : 'never expires'}
              </span>
              <span class="meta">Permissions: {t.permissions ? t.permissions.join(', ') || 'none' : 'everything the owner may do'}</span>
              {can('users:write') && (
                <ConfirmButton
                  label="Revoke"
                  title={`Revoke the token “${t.name}”?`}
                  danger
                  onConfirm={async () => {
                    const { revokeAccessToken } = await request(ConsoleRevokeAccessTokenDocument, { input: { id: t.id } });
                    expect(revokeAccessToken, 'RevokedAccessToken');
                    await onChanged(`Revoked the token “${t.name}”.`);
                  }}
                >
                  <p>It stops working at once for whatever uses it.</p>
                </ConfirmButton>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Passkeys({ user }: { user: User }) {
  return (
    <Section title="Passkeys">
      {user.passkeys.length === 0 ? (
        <p class="empty">No passkey.</p>
      ) : (
        <ul class="items">
          {user.passkeys.map((p) => (
            <li key={p.id}>
              <strong>{p.name}</strong>
              <span class="meta">
                Added <When at={p.createdAt} /> · last used <When at={p.lastUsedAt} empty="never" /> · {p.multiDevice ? 'synced between devices' : 'on one device'}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function LinkedAccounts({ user }: { user: User }) {
  return (
    <Section title="Linked accounts">
      {user.linkedAccounts.length === 0 ? (
        <p class="empty">No linked account.</p>
      ) : (
        <ul class="items">
          {user.linkedAccounts.map((a) => (
            <li key={`${a.provider}:${a.subject}`}>
              <strong>{a.provider}</strong> {a.login ?? a.email ?? a.subject}
              <span class="meta">
                Linked <When at={a.linkedAt} /> · last used <When at={a.lastUsedAt} empty="never" />
                {a.email && <> · {a.email}</>} · id {a.subject}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export const AUDIT_PAGE_SIZE = 20;
type AuditPage = ConsoleUserAuditQuery['auditEvents'];

/** Newest first, a page at a time; "Older" follows the cursor, "Newer" goes back through the ones seen. */
function AuditTrail({ userId, changes }: { userId: string; changes: number }) {
  const [side, setSide] = useState<'target' | 'actor'>('target');
  // The `after` cursor of each page seen so far; the last is the page shown.
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const after = cursors.at(-1) ?? null;
  const name = useId();

  useEffect(() => {
    let current = true;
    setBusy(true);
    const filter = side === 'target' ? { targetId: userId } : { actorId: userId };
    request(ConsoleUserAuditDocument, { filter, first: AUDIT_PAGE_SIZE, after })
      .then((data) => current && (setPage(data.auditEvents), setError(null)))
      .catch((e: unknown) => current && (setPage(null), setError(messageOf(e))))
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [userId, side, after, changes]);

  const choose = (next: 'target' | 'actor') => {
    setSide(next);
    setCursors([null]);
  };

  return (
    <Section title="Audit trail">
      <fieldset class="inline">
        <legend>Events</legend>
        <label class="check">
          <input type="radio" name={name} checked={side === 'target'} onChange={() => choose('target')} />
          About this user
        </label>
        <label class="check">
          <input type="radio" name={name} checked={side === 'actor'} onChange={() => choose('actor')} />
          By this user
        </label>
      </fieldset>
      <ErrorMessage message={error} />
      <div aria-live="polite" aria-busy={busy}>
        {busy && !page && <p role="status">Loading events…</p>}
        {page && page.edges.length === 0 && <p class="empty">No events.</p>}
        {page && page.edges.length > 0 && (
          <table class="audit">
            <caption class="visually-hidden">Audit events {side === 'target' ? 'about' : 'by'} this user, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">By</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {page.edges.map(({ node: e }) => (
                <tr key={e.id}>
                  <td>
                    <When at={e.at} />
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.actorEmail ?? actorLabel(e.actorType)}</td>
                  <td>
                    {detailsText(e.details)}
                    {e.ip && <span class="meta">from {e.ip}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {page && (cursors.length > 1 || page.pageInfo.hasNextPage) && (
        <nav class="row" aria-label="Audit pages">
          <button type="button" disabled={busy || cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer events
          </button>
          <button type="button" disabled={busy || !page.pageInfo.hasNextPage} onClick={() => page.pageInfo.endCursor && setCursors([...cursors, page.pageInfo.endCursor])}>
            Older events
          </button>
        </nav>
      )}
    </Section>
  );
}

function actorLabel(type: string): string {
  return { CLI: 'command line', SYSTEM: 'the server', ANONYMOUS: 'anonymous', USER: 'a user' }[type] ?? type.toLowerCase();
}

/** The event's small JSON facts as "key: value" pairs. */
function detailsText(details: string | null): string {
  if (!details) return '';
  try {
    const value = JSON.parse(details) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.entries(value)
        .map(([key, v]) => `${key}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
        .join('; ');
    }
    return details;
  } catch {
    return details;
  }
}

/** "Chrome", "Firefox", "Safari", "curl"… from a User-Agent, for a readable title; the full string is shown too. */
function browserName(userAgent: string): string {
  const known: Array<[RegExp, string]> = [
    [/Edg\//, 'Edge'],
    [/OPR\//, 'Opera'],
    [/Firefox\//, 'Firefox'],
    [/HeadlessChrome\//, 'Headless Chrome'],
    [/Chrome\//, 'Chrome'],
    [/Safari\//, 'Safari'],
  ];
  for (const [pattern, label] of known) if (pattern.test(userAgent)) return label;
  return userAgent.split(/[\s/]/)[0] || 'Unknown client';
}
