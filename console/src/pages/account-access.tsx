// My account, the ways in: the viewer's sessions (the current one marked; revoke one or all others)
// and personal access tokens (create with a name, an expiry and optionally a subset of the viewer's
// permissions; the secret is shown once, to copy; revoke). Every revocation asks first.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import {
  ConsoleCreateAccessTokenDocument,
  ConsoleRevokeOwnAccessTokenDocument,
  ConsoleRevokeOtherSessionsDocument,
  ConsoleRevokeSessionDocument,
  type ConsoleAccountQuery,
} from '../generated/graphql.ts';
import { expect, request } from '../api.ts';
import { ConfirmButton, ErrorMessage, Field, Status, useAction } from '../components.tsx';

/** What the account page reads (ConsoleAccount). */
export type Account = NonNullable<ConsoleAccountQuery['viewer']>;

export const formatTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : 'never');

/** "Chrome on Linux" from a User-Agent header; the header itself when it names no known browser. */
export function deviceOf(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const ua = userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 80);
}

export function SessionsSection({ sessions, onChange }: { sessions: Account['sessions']; onChange: () => Promise<void> }) {
  const [status, setStatus] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const others = sessions.filter((s) => !s.current).length;
  // The list is read again before the status says what changed (it never announces a change the
  // list does not show yet). The revoked item (and its dialog) is gone: focus stays in the section.
  const done = async (message: string) => {
    await onChange();
    setStatus(message);
    heading.current?.focus();
  };

  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title" ref={heading} tabIndex={-1}>
        Sessions
      </h2>
      <p class="hint">Where your account is signed in: this browser first, then the others by when they were last used.</p>
      <Status message={status} />
      {sessions.length === 0 ? (
        <p class="empty">No sessions: you are signed in with an access token.</p>
      ) : (
        <ul class="items" aria-label="Sessions">
          {[...sessions].sort((a, b) => Number(b.current) - Number(a.current)).map((s) => (
            <li key={s.id}>
              <strong>{deviceOf(s.userAgent)}</strong>
              {s.current && <span class="badge current">This session</span>}
              {s.impersonatedBy && (
                <span class="meta">
                  Opened by {s.impersonatedBy.email} to act as you: “{s.impersonatedBy.reason}”
                </span>
              )}
              <span class="meta">
                IP {s.ipAddress ?? 'unknown'} · signed in {formatTime(s.createdAt)} · last seen {formatTime(s.lastSeenAt)}
              </span>
              {!s.current && (
                <ConfirmButton
                  label="Revoke"
                  title="Revoke this session?"
                  confirmLabel="Revoke session"
                  danger
                  onConfirm={async () => {
                    expect((await request(ConsoleRevokeSessionDocument, { input: { id: s.id } })).revokeSession, 'RevokedSession');
                    await done('Session revoked.');
                  }}
                >
                  <p>
                    {deviceOf(s.userAgent)} (IP {s.ipAddress ?? 'unknown'}) is signed out at once.
                  </p>
                </ConfirmButton>
              )}
            </li>
          ))}
        </ul>
      )}
      {others > 0 && (
        <ConfirmButton
          label="Revoke all other sessions"
          title="Revoke all other sessions?"
          confirmLabel="Revoke them"
          danger
          onConfirm={async () => {
            const { count } = expect((await request(ConsoleRevokeOtherSessionsDocument)).revokeOtherSessions, 'RevokedSessions');
            await done(`${count} other session${count === 1 ? '' : 's'} signed out.`);
          }}
        >
          <p>
            Every session but this one ends at once ({others} of them). Access tokens keep working.
          </p>
        </ConfirmButton>
      )}
    </section>
  );
}

export function TokensSection({ tokens, permissions, onChange }: { tokens: Account['accessTokens']; permissions: string[]; onChange: () => Promise<void> }) {
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title" ref={heading} tabIndex={-1}>
        Personal access tokens
      </h2>
      <p class="hint">
        For scripts and tools: send one as <code>Authorization: Bearer &lt;token&gt;</code>, or as the password of user <code>__token__</code>.
      </p>
      {created && <NewTokenSecret {...created} onDone={() => (setCreated(null), heading.current?.focus())} />}
      <Status message={status} />
      {tokens.length === 0 ? (
        <p class="empty">You have no access tokens.</p>
      ) : (
        <ul class="items" aria-label="Access tokens">
          {tokens.map((t) => (
            <li key={t.id}>
              <strong>{t.name}</strong> <code>{`${t.prefix}…${t.lastFour}`}</code>
              {t.expired && <span class="badge warn">Expired</span>}
              <span class="meta">
                {t.permissions ? `Limited to ${t.permissions.length ? t.permissions.join(', ') : 'no permissions'}` : 'All your permissions'} · created{' '}
                {formatTime(t.createdAt)} · last used {formatTime(t.lastUsedAt)} · {t.expiresAt ? `expires ${formatTime(t.expiresAt)}` : 'no expiry'}
              </span>
              <ConfirmButton
                label="Revoke"
                title={`Revoke the token “${t.name}”?`}
                confirmLabel="Revoke token"
                danger
                onConfirm={async () => {
                  expect((await request(ConsoleRevokeOwnAccessTokenDocument, { input: { id: t.id } })).revokeAccessToken, 'RevokedAccessToken');
                  await onChange();
                  setStatus(`Token “${t.name}” revoked.`);
                  heading.current?.focus();
                }}
              >
                <p>Whatever uses it is refused from its next request on. This cannot be undone.</p>
              </ConfirmButton>
            </li>
          ))}
        </ul>
      )}
      <CreateTokenForm
        permissions={permissions}
        onCreated={async (next) => {
          setStatus(null);
          setCreated(next);
          await onChange();
        }}
      />
    </section>
  );
}

const EXPIRY_DAYS: Array<[string, number | null]> = [
  ['7 days', 7],
  ['30 days', 30],
  ['90 days', 90],
  ['1 year', 365],
  ['Never', null],
];

function CreateTokenForm({ permissions, onCreated }: { permissions: string[]; onCreated: (created: { name: string; token: string }) => Promise<void> }) {
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState('30 days');
  const [limitTo, setLimitTo] = useState<string[]>([]);
  const action = useAction();
  const expiryId = useId();

  const toggle = (permission: string, on: boolean) => setLimitTo(on ? [...limitTo, permission] : limitTo.filter((p) => p !== permission));
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const expiresInDays = EXPIRY_DAYS.find(([label]) => label === expiry)?.[1] ?? null;
      const input = { name, ...(expiresInDays ? { expiresInDays } : {}), ...(limitTo.length ? { permissions: limitTo } : {}) };
      const created = expect((await request(ConsoleCreateAccessTokenDocument, { input })).createAccessToken, 'CreatedAccessToken');
      setName('');
      setLimitTo([]);
      await onCreated({ name: created.accessToken.name, token: created.token });
    });
  };

  return (
    <form class="narrow-form" onSubmit={submit} aria-busy={action.busy} aria-labelledby="new-token-title">
      <h3 id="new-token-title">New token</h3>
      <Field label="Token name" hint="What it is for, e.g. “CI deploys”." required maxLength={100} value={name} onValue={setName} />
      <label for={expiryId}>Expires after</label>
      <select id={expiryId} value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
        {EXPIRY_DAYS.map(([label]) => (
          <option key={label}>{label}</option>
        ))}
      </select>
      {permissions.length > 0 && (
        <fieldset>
          <legend>Limit to these permissions</legend>
          <p class="hint">None checked: the token may do everything you may.</p>
          {permissions.map((p) => (
            <label key={p} class="check">
              <input type="checkbox" checked={limitTo.includes(p)} onChange={(e) => toggle(p, e.currentTarget.checked)} /> {p}
            </label>
          ))}
        </fieldset>
      )}
      <ErrorMessage message={action.error} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Creating…' : 'Create token'}
      </button>
    </form>
  );
}

/** The new token's secret, shown this once: selected for copying, with a copy button. */
function NewTokenSecret({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [token]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard access (permission refused, not a secure context): the selection still lets the user copy.
      input.current?.select();
      setCopied('The browser refused to copy: the token is selected, copy it with Ctrl+C or ⌘C.');
    }
  };
  return (
    <section class="secret" aria-labelledby="secret-title">
      <h3 id="secret-title">Token “{name}” created</h3>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> Gatehouse keeps only a hash of it, so nobody can show it again.
      </p>
      <label for="new-token-secret">Your new token</label>
      <div class="row">
        <input id="new-token-secret" ref={input} class="mono" readOnly value={token} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <Status message={copied} />
      <div class="row">
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
