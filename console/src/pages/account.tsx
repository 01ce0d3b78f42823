// My account: what every signed-in account may do on itself — its profile, its password, its
// sessions and personal access tokens (pages/account-access.tsx), and a look at its linked sign-in
// providers and second factor. One query reads it all; each section reloads it after a change.
// A session that has ended meanwhile (UNAUTHENTICATED) sends the console back to sign-in.
import { useEffect, useState } from 'preact/hooks';
import { ConsoleAccountDocument, ConsoleChangePasswordDocument, ConsoleExportMyDataDocument, ConsoleUpdateProfileDocument } from '../generated/graphql.ts';
import { ApiError, expect, messageOf, request } from '../api.ts';
import { ErrorMessage, Field, Status, useAction } from '../components.tsx';
import { useViewer } from '../viewer.ts';
import { formatTime, SessionsSection, TokensSection, type Account } from './account-access.tsx';

export function AccountPage() {
  const { reload } = useViewer();
  const [account, setAccount] = useState<Account | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = async () => {
    try {
      const { viewer } = await request(ConsoleAccountDocument);
      // No viewer: the session ended (revoked elsewhere, expired); the shell shows sign-in.
      if (!viewer) return void (await reload());
      setAccount(viewer);
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') return void (await reload());
      setError(messageOf(e));
    }
  };
  useEffect(() => {
    void refresh();
  }, []);

  return (
    <main id="main" class="account">
      <h1>My account</h1>
      <ErrorMessage message={error} />
      {!account && !error && <p role="status">Loading your account…</p>}
      {account && (
        <>
          <p>
            Signed in as <strong>{account.email}</strong>
            {account.emailConfirmed ? '' : ' (not confirmed yet)'}. Account created {formatTime(account.createdAt)}.
          </p>
          <ProfileSection account={account} onSaved={async () => (await refresh(), await reload())} />
          <PasswordSection email={account.email} hasPassword={account.hasPassword} onChanged={refresh} />
          <SessionsSection sessions={account.sessions} onChange={refresh} />
          <TokensSection tokens={account.accessTokens} permissions={account.permissions} onChange={refresh} />
          <LinkedAccountsSection linked={account.linkedAccounts} />
          <SecondFactorSection mfa={account.mfa} />
          <DataSection />
        </>
      )}
    </main>
  );
}

const PROFILE_FIELDS = ['displayName', 'firstName', 'lastName', 'phone', 'avatarUrl', 'bio'] as const;
type Profile = Record<(typeof PROFILE_FIELDS)[number], string>;
const profileOf = (account: Account): Profile =>
  Object.fromEntries(PROFILE_FIELDS.map((field) => [field, account[field] ?? ''])) as Profile;

function ProfileSection({ account, onSaved }: { account: Account; onSaved: () => Promise<void> }) {
  const [profile, setProfile] = useState(() => profileOf(account));
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();
  const set = (field: keyof Profile) => (value: string) => (setProfile({ ...profile, [field]: value }), setSaved(null));

  const submit = (event: Event) => {
    event.preventDefault();
    setSaved(null);
    void action.run(async () => {
      // Every field is sent: an emptied one is cleared (the server turns "" into null).
      expect((await request(ConsoleUpdateProfileDocument, { input: profile })).updateProfile, 'User');
      setSaved('Profile saved.');
      await onSaved();
    });
  };

  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form class="grid" onSubmit={submit} aria-busy={action.busy}>
        <div>
          <Field label="Display name" autocomplete="nickname" maxLength={100} value={profile.displayName} onValue={set('displayName')} />
        </div>
        <div>
          <Field label="First name" autocomplete="given-name" maxLength={100} value={profile.firstName} onValue={set('firstName')} />
        </div>
        <div>
          <Field label="Last name" autocomplete="family-name" maxLength={100} value={profile.lastName} onValue={set('lastName')} />
        </div>
        <div>
          <Field label="Phone" autocomplete="tel" value={profile.phone} onValue={set('phone')} />
        </div>
        <div class="wide">
          <Field label="Avatar URL" type="url" hint="An http(s) address of an image." value={profile.avatarUrl} onValue={set('avatarUrl')} />
        </div>
        <div class="wide">
          <label for="profile-bio">Bio</label>
          <textarea id="profile-bio" rows={3} maxLength={2000} value={profile.bio} onInput={(e) => set('bio')(e.currentTarget.value)} />
        </div>
        <div class="wide">
          <ErrorMessage message={action.error} />
          <Status message={saved} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Saving…' : 'Save profile'}
          </button>
        </div>
      </form>
    </section>
  );
}

function PasswordSection({ email, hasPassword, onChanged }: { email: string; hasPassword: boolean; onChanged: () => Promise<void> }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    setDone(null);
    void action.run(async () => {
      expect((await request(ConsoleChangePasswordDocument, { input: { currentPassword: current, newPassword: next } })).changePassword, 'User');
      setCurrent('');
      setNext('');
      setDone('Password changed. Your other sessions were signed out.');
      await onChanged();
    });
  };

  return (
    <section aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      {hasPassword ? (
        <form class="narrow-form" onSubmit={submit} aria-busy={action.busy}>
          {/* Tells password managers which account the new password belongs to. */}
          <input type="text" name="username" autocomplete="username" value={email} readOnly hidden />
          <Field label="Current password" type="password" autocomplete="current-password" required value={current} onValue={setCurrent} />
          <Field
            label="New password"
            type="password"
            autocomplete="new-password"
            required
            hint="A long passphrase works best. Changing it signs out your other sessions."
            value={next}
            onValue={setNext}
          />
          <ErrorMessage message={action.error} />
          <Status message={done} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Changing…' : 'Change password'}
          </button>
        </form>
      ) : (
        <p class="empty">This account signs in through a provider and has no password yet. Set one with a password reset link.</p>
      )}
    </section>
  );
}

function LinkedAccountsSection({ linked }: { linked: Account['linkedAccounts'] }) {
  return (
    <section aria-labelledby="linked-title">
      <h2 id="linked-title">Linked sign-in providers</h2>
      {linked.length === 0 ? (
        <p class="empty">No sign-in provider is linked to this account.</p>
      ) : (
        <ul class="items">
          {linked.map((l) => (
            <li key={`${l.provider}:${l.subject}`}>
              <strong>{l.provider}</strong> {l.login ?? l.email ?? l.subject}
              <span class="meta">
                Linked {formatTime(l.linkedAt)} · last used {formatTime(l.lastUsedAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SecondFactorSection({ mfa }: { mfa: Account['mfa'] }) {
  const factors = [mfa.totpEnabled ? 'an authenticator app' : null, mfa.passkeys ? `${mfa.passkeys} passkey${mfa.passkeys === 1 ? '' : 's'}` : null].filter(Boolean);
  return (
    <section aria-labelledby="mfa-title">
      <h2 id="mfa-title">Second factor</h2>
      {mfa.enabled ? (
        <p>
          <strong>On</strong>: {factors.join(' and ')}. {mfa.recoveryCodesRemaining} recovery code{mfa.recoveryCodesRemaining === 1 ? '' : 's'} left.
        </p>
      ) : (
        <p>
          <strong>Off</strong>: signing in needs your password only.
        </p>
      )}
    </section>
  );
}

/** The right of access: everything kept about the account, saved as a JSON file. */
function DataSection() {
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();
  const download = () => {
    setSaved(null);
    void action.run(async () => {
      const result = expect((await request(ConsoleExportMyDataDocument)).exportMyData, 'MyDataExport');
      const url = URL.createObjectURL(new Blob([result.json], { type: 'application/json' }));
      const link = Object.assign(document.createElement('a'), { href: url, download: result.filename });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setSaved(`Saved as ${result.filename}.`);
    });
  };
  return (
    <section aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <p class="hint">Everything this server keeps about your account, as one JSON file: profile, sessions, token names, linked accounts and the audit trail. No password or secret is in it.</p>
      <ErrorMessage message={action.error} />
      <Status message={saved} />
      <button type="button" onClick={download} disabled={action.busy}>
        {action.busy ? 'Preparing…' : 'Download my data'}
      </button>
    </section>
  );
}
