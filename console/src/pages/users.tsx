// Every account, a keyset page at a time (first/after forward, last/before back), filtered by a
// search over email and names. A refused query (e.g. FORBIDDEN without users:read) shows the
// server's message.
import { useEffect, useState } from 'preact/hooks';
import { ConsoleUsersDocument, type ConsoleUsersQuery, type ConsoleUsersQueryVariables } from '../generated/graphql.ts';
import { messageOf, request } from '../api.ts';
import { ErrorMessage } from '../components.tsx';

export const PAGE_SIZE = 25;

type Page = ConsoleUsersQuery['users'];

export function UsersPage() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState<ConsoleUsersQueryVariables>({ first: PAGE_SIZE });
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);

  useEffect(() => {
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

  const term = query.search ?? '';
  const submit = (event: Event) => {
    event.preventDefault();
    const value = search.trim();
    setQuery(value ? { first: PAGE_SIZE, search: value } : { first: PAGE_SIZE });
  };
  const next = () => page?.pageInfo.endCursor && setQuery({ first: PAGE_SIZE, after: page.pageInfo.endCursor, search: query.search ?? null });
  const previous = () => page?.pageInfo.startCursor && setQuery({ last: PAGE_SIZE, before: page.pageInfo.startCursor, search: query.search ?? null });

  return (
    <main id="main">
      <h1>Users</h1>
      <form role="search" class="row" onSubmit={submit}>
        <label for="user-search">Search users</label>
        <input
          id="user-search"
          type="search"
          placeholder="Email or name"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      <ErrorMessage message={error} />
      <div aria-live="polite" aria-busy={busy}>
        {busy && !page && <p role="status">Loading users…</p>}
        {page && page.edges.length === 0 && (
          <p class="empty">{term ? `No users match “${term}”.` : 'There are no users yet.'}</p>
        )}
        {page && page.edges.length > 0 && (
          <table>
            <caption class="visually-hidden">Users{term ? ` matching “${term}”` : ''}</caption>
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
                  <td>{node.email}</td>
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

function statusLabel(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase().replaceAll('_', ' ');
}
