// Sign in with email and password; when the account has a second factor, a second step asks for
// the authenticator code (or a recovery code) and calls verifySecondFactor.
import { useState } from 'preact/hooks';
import { ConsoleLoginDocument, ConsoleVerifySecondFactorDocument } from '../generated/graphql.ts';
import { messageOf, request } from '../api.ts';
import { ErrorMessage } from '../components.tsx';

export function SignInPage({ notice, onSignedIn }: { notice: string | null; onSignedIn: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await step();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const signIn = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const { login } = await request(ConsoleLoginDocument, { input: { email, password } });
      if (!login) return setError('The server refused to sign you in.');
      if (login.__typename === 'CreatedSession') return onSignedIn();
      if (login.__typename === 'SecondFactorRequired') {
        setPassword('');
        return setChallenge(login.challenge);
      }
      setError(login.message);
    });
  };

  const verify = (event: Event) => {
    event.preventDefault();
    if (!challenge) return;
    const value = code.replace(/\s+/g, '');
    const input = /^\d{6}$/.test(value) ? { challenge, totp: value } : { challenge, recoveryCode: code.trim() };
    void run(async () => {
      const { verifySecondFactor: result } = await request(ConsoleVerifySecondFactorDocument, { input });
      if (!result) return setError('The server refused the code.');
      if (result.__typename === 'CreatedSession') return onSignedIn();
      setError(result.message);
      if (result.code === 'TOKEN_EXPIRED' || result.code === 'INVALID_TOKEN') setChallenge(null);
    });
  };

  return (
    <main id="main" class="narrow">
      <h1>Sign in to Gatehouse</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {challenge === null ? (
        <form onSubmit={signIn} aria-busy={busy}>
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <ErrorMessage message={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      ) : (
        <form onSubmit={verify} aria-busy={busy}>
          <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
          <label for="code">Code</label>
          <input id="code" name="code" autocomplete="one-time-code" inputMode="numeric" required autoFocus value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          <ErrorMessage message={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Verify'}
          </button>
          <button type="button" class="link" onClick={() => (setChallenge(null), setCode(''), setError(null))}>
            Start over
          </button>
        </form>
      )}
    </main>
  );
}
