// First-run setup: while no account exists, the setup token from the server's log (or SETUP_TOKEN)
// creates the first administrator with completeSetup.
import { useState } from 'preact/hooks';
import { ConsoleCompleteSetupDocument } from '../generated/graphql.ts';
import { messageOf, request } from '../api.ts';
import { ErrorMessage } from '../components.tsx';

export function SetupPage({ onDone }: { onDone: (email: string) => void }) {
  const [setupToken, setSetupToken] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { completeSetup } = await request(ConsoleCompleteSetupDocument, { input: { setupToken: setupToken.trim(), email, password } });
      if (!completeSetup) setError('The server refused the setup.');
      else if (completeSetup.__typename === 'AccountStatus') onDone(completeSetup.email);
      else setError(completeSetup.message);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="narrow">
      <h1>Set up Gatehouse</h1>
      <p>
        No administrator exists yet. Enter the setup token that the server printed in its log (or <code>SETUP_TOKEN</code>) and the email and password of the
        first administrator.
      </p>
      <form onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <label for="setup-token">Setup token</label>
        <input id="setup-token" name="setupToken" autocomplete="off" required value={setupToken} onInput={(e) => setSetupToken(e.currentTarget.value)} />
        <label for="email">Administrator email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="new-password"
          required
          aria-describedby="password-hint"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <p id="password-hint" class="hint">
          The same policy as registration: a long passphrase works best.
        </p>
        <ErrorMessage message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </main>
  );
}
