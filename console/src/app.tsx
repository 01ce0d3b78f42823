// The console's shell: asks who is signed in and whether the server is claimed, then shows
// first-run setup, sign-in, or the signed-in pages. Each page of PAGES has a path, the permission
// its nav link needs (the server enforces it anyway) and its component; the step-up dialog, the
// live maintenance banner and the watch for the end of the console's own session (session-end.tsx,
// which brings back the sign-in page with a notice saying why) are mounted once here for every page.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ConsoleLogoutDocument, ConsoleStartDocument, type ConsoleStartQuery } from './generated/graphql.ts';
import { messageOf, request } from './api.ts';
import { SignInPage } from './pages/sign-in.tsx';
import { SetupPage } from './pages/setup.tsx';
import { UsersPage } from './pages/users.tsx';
import { UserPage } from './pages/user.tsx';
import { RolesPage } from './pages/roles.tsx';
import { AuditPage } from './pages/audit.tsx';
import { MaintenancePage } from './pages/maintenance.tsx';
import { DatabasePage } from './pages/database.tsx';
import { MaintenanceBanner } from './maintenance.tsx';
import { AccountPage } from './pages/account.tsx';
import { OrganizationsPage } from './pages/organizations.tsx';
import { OrganizationPage } from './pages/organization.tsx';
import { ErrorMessage } from './components.tsx';
import { Link, match, navigate, usePath } from './router.tsx';
import { StepUpDialog } from './step-up.tsx';
import { SessionEndWatch } from './session-end.tsx';
import { closeLive } from './live.ts';
import { canFor, ViewerContext, type ViewerContextValue } from './viewer.ts';

interface PageEntry {
  /** '/users/:id'; params are passed to render. */
  path: string;
  /** The nav link's text; pages without one (a user's page) are reached from other pages. */
  nav?: string;
  /** Shown in the nav only to viewers with this permission. */
  permission?: string;
  render: (params: Record<string, string>) => ComponentChildren;
}

const PAGES: PageEntry[] = [
  { path: '/users', nav: 'Users', permission: 'users:read', render: () => <UsersPage /> },
  { path: '/users/:id', permission: 'users:read', render: ({ id }) => <UserPage key={id} id={id!} /> },
  { path: '/organizations', nav: 'Organizations', permission: 'organizations:read', render: () => <OrganizationsPage /> },
  { path: '/organizations/:id', permission: 'organizations:read', render: ({ id }) => <OrganizationPage key={id} id={id!} /> },
  { path: '/roles', nav: 'Roles', permission: 'roles:read', render: () => <RolesPage /> },
  { path: '/audit', nav: 'Audit log', permission: 'audit:read', render: () => <AuditPage /> },
  { path: '/maintenance', nav: 'Maintenance', permission: 'maintenance:write', render: () => <MaintenancePage /> },
  { path: '/database', nav: 'Database', permission: 'database:read', render: () => <DatabasePage /> },
  { path: '/account', nav: 'My account', render: () => <AccountPage /> },
];

type State = { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'ready'; start: ConsoleStartQuery };

/** Every page, signed in or not, under the live maintenance banner. */
export function App() {
  return (
    <>
      <MaintenanceBanner />
      <Shell />
    </>
  );
}

function Shell() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const path = usePath();

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

  // Our own sign-out ends the session too: its live event is not news.
  const signingOut = useRef(false);
  const signOut = async () => {
    signingOut.current = true;
    try {
      await request(ConsoleLogoutDocument);
    } finally {
      closeLive();
      setNotice(null);
      await load();
      signingOut.current = false;
    }
  };
  const sessionEnded = (message: string) => {
    if (signingOut.current) return;
    closeLive();
    setNotice(message);
    void load();
  };

  const viewer = state.kind === 'ready' ? state.start.viewer : null;
  const context = useMemo<ViewerContextValue | null>(() => (viewer ? { viewer, can: canFor(viewer), reload: load } : null), [viewer]);

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
  if (state.start.setupStatus.needsSetup) {
    return (
      <SetupPage
        onDone={(email) => {
          setNotice(`The server is yours. Sign in as ${email}.`);
          void load();
        }}
      />
    );
  }
  // A new identity: live subscriptions move to a socket opened with the new session cookie.
  if (!viewer || !context) return <SignInPage notice={notice} onSignedIn={() => (closeLive(), void load())} />;

  const links = PAGES.filter((p) => p.nav && (!p.permission || context.can(p.permission)));
  // '/' opens the first page the viewer may use.
  if (path === '/') {
    const first = links[0];
    if (first) queueMicrotask(() => navigate(first.path, { replace: true }));
  }
  const found = PAGES.map((p) => ({ page: p, params: match(p.path, path) })).find((m) => m.params);

  return (
    <ViewerContext.Provider value={context}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <span class="brand">Gatehouse</span>
        <nav aria-label="Console">
          {links.map((p) => (
            <Link key={p.path} to={p.path} aria-current={path === p.path || path.startsWith(`${p.path}/`) ? 'page' : undefined}>
              {p.nav}
            </Link>
          ))}
        </nav>
        <span class="who">
          Signed in as <strong>{viewer.displayName ?? viewer.email}</strong>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {found ? (
        found.page.render(found.params!)
      ) : path === '/' ? (
        <main id="main">
          <h1>Gatehouse</h1>
          <p class="empty">Your account has no console pages.</p>
        </main>
      ) : (
        <main id="main">
          <h1>Page not found</h1>
          <p>
            The console has no page at <code>/admin{path}</code>. <Link to="/">Go to the start page</Link>.
          </p>
        </main>
      )}
      <StepUpDialog />
      <SessionEndWatch onEnded={sessionEnded} />
    </ViewerContext.Provider>
  );
}
