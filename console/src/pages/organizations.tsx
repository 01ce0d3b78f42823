// Every organization (admin view, organizations:read), a keyset page at a time forward, searched by
// name or slug; each row opens the organization's page. A refused query shows the server's message.
import { useEffect, useState } from 'preact/hooks';
import { ConsoleOrganizationsDocument, type ConsoleOrganizationsQuery, type ConsoleOrganizationsQueryVariables } from '../generated/graphql.ts';
import { messageOf, request } from '../api.ts';
import { ErrorMessage, Status } from '../components.tsx';
import { Link } from '../router.tsx';
import { takeFlash } from '../flash.ts';

const PAGE_SIZE = 25;

type Page = ConsoleOrganizationsQuery['organizations'];

export function OrganizationsPage() {
  const [query, setQuery] = useState<ConsoleOrganizationsQueryVariables>({ first: PAGE_SIZE });
  const [draft, setDraft] = useState('');
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const [notice] = useState(takeFlash);
  // The cursors of the pages before this one, for "Previous page" (the list pages forward only).
  const [trail, setTrail] = useState<Array<string | null>>([]);

  useEffect(() => {
    let current = true;
    setBusy(true);
    request(ConsoleOrganizationsDocument, query)
      .then((data) => current && (setPage(data.organizations), setError(null)))
      .catch((e: unknown) => current && (setPage(null), setError(messageOf(e))))
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [query]);

  const search = (event: Event) => {
    event.preventDefault();
    setTrail([]);
    setQuery({ first: PAGE_SIZE, ...(draft.trim() ? { search: draft.trim() } : {}) });
  };
  const next = () => {
    if (!page?.pageInfo.endCursor) return;
    setTrail([...trail, query.after ?? null]);
    setQuery({ ...query, after: page.pageInfo.endCursor });
  };
  const previous = () => {
    const after = trail.at(-1);
    setTrail(trail.slice(0, -1));
    const { after: _dropped, ...rest } = query;
    setQuery(after ? { ...rest, after } : rest);
  };

  return (
    <main id="main">
      <h1>Organizations</h1>
      <Status message={notice} />
      <form role="search" aria-label="Organizations" class="row filters" onSubmit={search}>
        <span class="filter">
          <label for="organization-search">Search organizations</label>
          <input id="organization-search" type="search" placeholder="Name or slug" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        </span>
        <button type="submit">Search</button>
      </form>
      <ErrorMessage message={error} />
      <div aria-live="polite" aria-busy={busy}>
        {busy && !page && <p role="status">Loading organizations…</p>}
        {page && page.edges.length === 0 && <p class="empty">{query.search ? `No organization matches “${query.search}”.` : 'There are no organizations yet.'}</p>}
        {page && page.edges.length > 0 && (
          <table>
            <caption class="visually-hidden">Organizations</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Slug</th>
                <th scope="col">Join domain</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>
                    <Link to={`/organizations/${encodeURIComponent(node.id)}`}>{node.name}</Link>
                  </td>
                  <td>
                    <code>{node.slug}</code>
                  </td>
                  <td>{node.joinDomain ?? ''}</td>
                  <td>
                    <time dateTime={node.createdAt}>{new Date(node.createdAt).toLocaleDateString()}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {page && (trail.length > 0 || page.pageInfo.hasNextPage) && (
        <nav class="row" aria-label="Pages">
          <button type="button" onClick={previous} disabled={busy || trail.length === 0}>
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
