// The console's shell: asks who is signed in and whether the server is claimed, then shows
// first-run setup, sign-in, or the signed-in pages (for now: users).
import { useEffect, useState } from 'preact/hooks';
import { ConsoleLogoutDocument, ConsoleStartDocument, type ConsoleStartQuery } from './generated/graphql.ts';
import { messageOf, request } from './api.ts';
import { SignInPage } from './pages/sign-in.tsx';
import { SetupPage } from './pages/setup.tsx';
import { UsersPage } from './pages/users.tsx';
import { ErrorMessage } from './components.tsx';

type State = { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'ready'; start: ConsoleStartQuery };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);

  const load = async () => {
    try {
      setState({ kind: 'ready', start: await request(ConsoleStartDocument) });
    } catch (error) {
      setState({ kind: 'failed', message: messageOf(error) });
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const signOut = async () => {
    try {
      await request(ConsoleLogoutDocument);
    } finally {
      setNotice(null);
      await load();
    }
  };

  if (state.kind === 'loading') {
    return (
      <main id="main" class="narrow">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (state.kind === 'failed') {
    return (
      <main id="main" class="narrow">
        <h1>Gatehouse</h1>
        <ErrorMessage message={state.message} />
        <button type="button" onClick={() => void load()}>
          Try again
        </button>
      </main>
    );
  }
  const { setupStatus, viewer } = state.start;
  if (setupStatus.needsSetup) {
    return (
      <SetupPage
        onDone={(email) => {
          setNotice(`The server is yours. Sign in as ${email}.`);
          void load();
        }}
      />
    );
  }
  if (!viewer) return <SignInPage notice={notice} onSignedIn={() => void load()} />;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <span class="brand">Gatehouse</span>
        <nav aria-label="Console">
          <a href="/admin/users" aria-current="page">
            Users
          </a>
        </nav>
        <span class="who">
          Signed in as <strong>{viewer.displayName ?? viewer.email}</strong>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <UsersPage />
    </>
  );
}
