// Every account, a keyset page at a time (first/after forward, last/before back), filtered by a
// search over email and names, a role (from `roles`, with roles:read) and a status; the filters
// stay while paging. Each row opens the user's page. With users:write, "Create user" opens a form
// that shows the server's field errors and, once created, goes to the new user's page. A refused
// query (e.g. FORBIDDEN without users:read) shows the server's message.
import { useEffect, useId, useState } from 'preact/hooks';
import {
  ConsoleCreateUserDocument,
  ConsoleRoleChoicesDocument,
  ConsoleUsersDocument,
  type ConsoleRoleChoicesQuery,
  type ConsoleUsersQuery,
  type ConsoleUsersQueryVariables,
  type UserStatus,
} from '../generated/graphql.ts';
import { ApiError, expect, messageOf, request } from '../api.ts';
import { ErrorMessage, Field, FieldErrors, formError, Status, useAction } from '../components.tsx';
import { Link, navigate } from '../router.tsx';
import { setFlash, takeFlash } from '../flash.ts';
import { useViewer } from '../viewer.ts';

export const PAGE_SIZE = 25;

type Page = ConsoleUsersQuery['users'];
export type RoleChoice = ConsoleRoleChoicesQuery['roles'][number];

export const STATUSES: ReadonlyArray<{ value: UserStatus; label: string }> = [
  { value: 'ACTIVE', label: 'Active' },
  { value: 'UNCONFIRMED', label: 'Unconfirmed' },
  { value: 'DISABLED', label: 'Disabled' },
];

interface Filters {
  search: string;
  role: string;
  status: UserStatus | '';
}

const NO_FILTERS: Filters = { search: '', role: '', status: '' };

/** The list as last shown to this viewer, so coming back from a user's page (or Back) finds the same filters and page. */
let remembered: { viewerId: string; query: ConsoleUsersQueryVariables } | null = null;

const filtersOf = (query: ConsoleUsersQueryVariables): Filters => ({ search: query.search ?? '', role: query.role ?? '', status: query.status ?? '' });

function withFilters(filters: Filters, paging: Pick<ConsoleUsersQueryVariables, 'first' | 'after' | 'last' | 'before'>): ConsoleUsersQueryVariables {
  const query: ConsoleUsersQueryVariables = { ...paging };
  if (filters.search) query.search = filters.search;
  if (filters.role) query.role = filters.role;
  if (filters.status) query.status = filters.status;
  return query;
}

/** The roles for filters and checkboxes: loaded only for a viewer with roles:read (null otherwise or while loading). */
export function useRoleChoices(): { roles: RoleChoice[] | null; error: string | null } {
  const { can } = useViewer();
  const allowed = can('roles:read');
  const [roles, setRoles] = useState<RoleChoice[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!allowed) return;
    let current = true;
    request(ConsoleRoleChoicesDocument)
      .then((data) => current && setRoles(data.roles))
      .catch((e: unknown) => current && setError(`The roles could not be loaded: ${messageOf(e)}`));
    return () => {
      current = false;
    };
  }, [allowed]);
  return { roles, error };
}

export function UsersPage() {
  const { viewer, can } = useViewer();
  const [query, setQuery] = useState<ConsoleUsersQueryVariables>(() => (remembered?.viewerId === viewer.id ? remembered.query : { first: PAGE_SIZE }));
  const [draft, setDraft] = useState<Filters>(() => filtersOf(query));
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const [notice] = useState(takeFlash);
  const [creating, setCreating] = useState(false);
  const { roles, error: rolesError } = useRoleChoices();

  useEffect(() => {
    remembered = { viewerId: viewer.id, query };
    let current = true;
    setBusy(true);
    request(ConsoleUsersDocument, query)
      .then((data) => current && (setPage(data.users), setError(null)))
      .catch((e: unknown) => current && (setPage(null), setError(messageOf(e))))
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [query]);

  const applied = filtersOf(query);
  const filtered = applied.search !== '' || applied.role !== '' || applied.status !== '';
  const apply = (filters: Filters) => {
    const next = { ...filters, search: filters.search.trim() };
    setDraft(next);
    setQuery(withFilters(next, { first: PAGE_SIZE }));
  };
  const submit = (event: Event) => {
    event.preventDefault();
    apply(draft);
  };
  const next = () => page?.pageInfo.endCursor && setQuery(withFilters(applied, { first: PAGE_SIZE, after: page.pageInfo.endCursor }));
  const previous = () => page?.pageInfo.startCursor && setQuery(withFilters(applied, { last: PAGE_SIZE, before: page.pageInfo.startCursor }));

  return (
    <main id="main">
      <div class="title-row">
        <h1>Users</h1>
        {can('users:write') && (
          <button type="button" aria-expanded={creating} aria-controls="create-user" onClick={() => setCreating(!creating)}>
            Create user
          </button>
        )}
      </div>
      <Status message={notice} />
      {creating && <CreateUserForm roles={can('roles:write') ? roles : null} onCancel={() => setCreating(false)} />}
      <form role="search" aria-label="Users" class="row filters" onSubmit={submit}>
        <span class="filter">
          <label for="user-search">Search users</label>
          <input id="user-search" type="search" placeholder="Email or name" value={draft.search} onInput={(e) => setDraft({ ...draft, search: e.currentTarget.value })} />
        </span>
        {roles && (
          <span class="filter">
            <label for="user-role">Role</label>
            <select id="user-role" value={draft.role} onChange={(e) => apply({ ...draft, role: e.currentTarget.value })}>
              <option value="">Any role</option>
              {roles.map((role) => (
                <option key={role.id} value={role.name}>
                  {role.name}
                </option>
              ))}
            </select>
          </span>
        )}
        <span class="filter">
          <label for="user-status">Status</label>
          <select id="user-status" value={draft.status} onChange={(e) => apply({ ...draft, status: e.currentTarget.value as UserStatus | '' })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </span>
        <button type="submit">Search</button>
        {filtered && (
          <button type="button" class="secondary" onClick={() => apply(NO_FILTERS)}>
            Clear filters
          </button>
        )}
      </form>
      <ErrorMessage message={rolesError} />
      <ErrorMessage message={error} />
      <div aria-live="polite" aria-busy={busy}>
        {busy && !page && <p role="status">Loading users…</p>}
        {page && <p class="count">{countText(page.totalCount, filtered)}</p>}
        {page && page.edges.length === 0 && <p class="empty">{emptyText(applied)}</p>}
        {page && page.edges.length > 0 && (
          <table>
            <caption class="visually-hidden">Users{filtered ? ` (${describe(applied)})` : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>
                    <Link to={`/users/${encodeURIComponent(node.id)}`}>{node.email}</Link>
                  </td>
                  <td>{node.displayName ?? ''}</td>
                  <td>{statusLabel(node.status)}</td>
                  <td>
                    <time dateTime={node.createdAt}>{new Date(node.createdAt).toLocaleDateString()}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {page && (page.pageInfo.hasPreviousPage || page.pageInfo.hasNextPage) && (
        <nav class="row" aria-label="Pages">
          <button type="button" onClick={previous} disabled={busy || !page.pageInfo.hasPreviousPage}>
            Previous page
          </button>
          <button type="button" onClick={next} disabled={busy || !page.pageInfo.hasNextPage}>
            Next page
          </button>
        </nav>
      )}
    </main>
  );
}

const CREATE_FIELDS = ['email', 'displayName', 'password', 'roles', 'confirmed'];

/** The create form: the server decides (email and password rules, roles); its field errors show beside each field. */
function CreateUserForm({ roles, onCancel }: { roles: RoleChoice[] | null; onCancel: () => void }) {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirmed, setConfirmed] = useState(true);
  const [chosen, setChosen] = useState<string[]>([]);
  const action = useAction();
  const titleId = useId();
  const rolesErrorsId = useId();

  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const input = { email, password, displayName: displayName.trim() || null, confirmed, ...(roles ? { roles: chosen } : {}) };
      const { createUser } = await request(ConsoleCreateUserDocument, { input });
      // An email already in use is a typed error of its own: shown beside the email field.
      if (createUser?.__typename === 'EmailTakenError') throw new ApiError(createUser.message, createUser.code, [{ field: 'email', messages: [createUser.message] }]);
      const created = expect(createUser, 'User');
      setFlash(`Created ${created.email}.`);
      navigate(`/users/${encodeURIComponent(created.id)}`);
    });
  };
  const { fields } = action;
  const extra = roles?.filter((role) => role.name !== 'user') ?? [];

  return (
    <section id="create-user" class="panel" aria-labelledby={titleId}>
      <h2 id={titleId}>Create a user</h2>
      <form onSubmit={submit} aria-busy={action.busy} noValidate>
        <Field label="Email" type="email" name="email" autocomplete="off" required autoFocus value={email} onValue={setEmail} errors={fields['email']} />
        <Field label="Display name" name="displayName" autocomplete="off" value={displayName} onValue={setDisplayName} errors={fields['displayName']} />
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="new-password"
          required
          hint="The same policy as registration: a long passphrase works best. Give it to the user in person."
          value={password}
          onValue={setPassword}
          errors={fields['password']}
        />
        <label class="check">
          <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} />
          The email address is confirmed (otherwise a confirmation link is emailed)
        </label>
        {extra.length > 0 && (
          <fieldset aria-describedby={fields['roles'] ? rolesErrorsId : undefined}>
            <legend>Roles</legend>
            <p class="hint">Every account holds the role user.</p>
            {extra.map((role) => (
              <label class="check" key={role.id}>
                <input
                  type="checkbox"
                  checked={chosen.includes(role.name)}
                  onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, role.name] : chosen.filter((n) => n !== role.name))}
                />
                {role.name}
                {role.description && <span class="hint"> — {role.description}</span>}
              </label>
            ))}
            <FieldErrors id={rolesErrorsId} errors={fields['roles']} />
          </fieldset>
        )}
        <ErrorMessage message={formError(action, CREATE_FIELDS)} />
        <div class="row">
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Creating…' : 'Create user'}
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}

function countText(count: number, filtered: boolean): string {
  const users = count === 1 ? '1 user' : `${count} users`;
  return filtered ? `${users} ${count === 1 ? 'matches' : 'match'}.` : `${users}.`;
}

function describe(filters: Filters): string {
  const parts: string[] = [];
  if (filters.search) parts.push(`matching “${filters.search}”`);
  if (filters.role) parts.push(`with the role ${filters.role}`);
  if (filters.status) parts.push(statusLabel(filters.status).toLowerCase());
  return parts.join(', ');
}

function emptyText(filters: Filters): string {
  if (filters.search && !filters.role && !filters.status) return `No users match “${filters.search}”.`;
  if (filters.search || filters.role || filters.status) return `No users ${describe(filters)}.`;
  return 'There are no users yet.';
}

export function statusLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replaceAll('_', ' ');
}
