// The audit log: auditEvents as a table, newest first, a keyset page at a time (the connection goes
// forward only, so "Previous page" walks back a stack of the cursors already used). The filters
// (AuditEventFilter: action, actor, target, time range) live in the query string, so a link or a
// reload opens the same view and back/forward move between filters.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ConsoleAuditLogDocument, type AuditEventFilter, type ConsoleAuditLogQuery } from '../generated/graphql.ts';
import { messageOf, request } from '../api.ts';
import { ErrorMessage, Field } from '../components.tsx';
import { Link, navigate, useSearch } from '../router.tsx';

export const AUDIT_PAGE_SIZE = 25;

type Page = ConsoleAuditLogQuery['auditEvents'];
type AuditEvent = Page['edges'][number]['node'];

/** The filters as the query string holds them: since/until are ISO times; '' is no filter. */
interface Filters {
  action: string;
  actor: string;
  target: string;
  since: string;
  until: string;
}
const KEYS = ['action', 'actor', 'target', 'since', 'until'] as const;

const filtersFrom = (search: string): Filters => {
  const params = new URLSearchParams(search);
  return Object.fromEntries(KEYS.map((key) => [key, params.get(key)?.trim() ?? ''])) as unknown as Filters;
};

/** '/audit?action=…' with the given filters (empty ones left out). */
const auditPath = (filters: Filters): string => {
  const params = new URLSearchParams(KEYS.filter((key) => filters[key]).map((key) => [key, filters[key]]));
  const query = params.toString();
  return query ? `/audit?${query}` : '/audit';
};

const toApiFilter = (f: Filters): AuditEventFilter | null => {
  const filter: AuditEventFilter = {
    ...(f.action && { action: f.action }),
    ...(f.actor && { actorId: f.actor }),
    ...(f.target && { targetId: f.target }),
    ...(f.since && { since: f.since }),
    ...(f.until && { until: f.until }),
  };
  return Object.keys(filter).length ? filter : null;
};

export function AuditPage() {
  const search = useSearch();
  const filters = useMemo(() => filtersFrom(search), [search]);
  // Applying the same filters again reads the log again.
  const [reads, setReads] = useState(0);
  return (
    <main id="main" class="audit">
      <h1>Audit log</h1>
      <FilterForm filters={filters} onApply={(next) => (auditPath(next) === auditPath(filters) ? setReads((n) => n + 1) : navigate(auditPath(next)))} />
      <AuditResults key={`${search}#${reads}`} filters={filters} />
    </main>
  );
}

/** The form shows the filters of the URL (also after back/forward); datetime-local fields are in the viewer's time zone. */
function FilterForm({ filters, onApply }: { filters: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filters]);
  const set = (key: keyof Filters) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const filtered = KEYS.some((key) => filters[key]);
  const submit = (event: Event) => {
    event.preventDefault();
    onApply(Object.fromEntries(KEYS.map((key) => [key, draft[key].trim()])) as unknown as Filters);
  };
  return (
    <form class="audit-filters" aria-label="Filter the audit log" onSubmit={submit}>
      <div>
        <Field label="Action" placeholder="e.g. role.create" value={draft.action} onValue={set('action')} hint="The exact action name." />
      </div>
      <div>
        <Field label="Actor ID" value={draft.actor} onValue={set('actor')} hint="Or choose an actor in the table." />
      </div>
      <div>
        <Field label="Target ID" value={draft.target} onValue={set('target')} hint="Or choose a target in the table." />
      </div>
      <div>
        <Field label="From" type="datetime-local" value={localInput(draft.since)} onValue={(v) => set('since')(isoOf(v))} hint="Events at or after this time." />
      </div>
      <div>
        <Field label="Until" type="datetime-local" value={localInput(draft.until)} onValue={(v) => set('until')(isoOf(v))} hint="Events before this time." />
      </div>
      <div class="row">
        <button type="submit">Apply filters</button>
        {filtered && (
          <button type="button" class="secondary" onClick={() => navigate('/audit')}>
            Clear filters
          </button>
        )}
      </div>
    </form>
  );
}

function AuditResults({ filters }: { filters: Filters }) {
  // The `after` cursor of every page before this one; the first page has none.
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const summary = useRef<HTMLParagraphElement>(null);
  const paged = useRef(false);

  useEffect(() => {
    let current = true;
    setBusy(true);
    request(ConsoleAuditLogDocument, { first: AUDIT_PAGE_SIZE, after: cursors.at(-1) ?? null, filter: toApiFilter(filters) })
      .then((data) => {
        if (!current) return;
        setPage(data.auditEvents);
        setError(null);
      })
      .catch((e: unknown) => current && (setPage(null), setError(messageOf(e))))
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [cursors]);

  // After "Next"/"Previous" (whose button may now be disabled) focus moves to the new page's summary.
  useEffect(() => {
    if (paged.current) summary.current?.focus();
  }, [page]);

  const move = (next: string[]) => {
    if (busy) return;
    paged.current = true;
    setCursors(next);
  };
  const filtered = KEYS.some((key) => filters[key]);
  const number = cursors.length + 1;
  const events = page?.edges.map((e) => e.node) ?? [];

  return (
    <>
      <ErrorMessage message={error} />
      <div aria-busy={busy}>
        {busy && <p role="status">Loading events…</p>}
        {page && (
          <p ref={summary} tabIndex={-1} class="hint">
            Page {number}: {events.length === 1 ? '1 event' : `${events.length} events`}
            {filtered ? ' matching the filters' : ''}, newest first.
          </p>
        )}
        {page && events.length === 0 && (
          <p class="empty">{number > 1 ? 'No more events.' : filtered ? 'No events match these filters.' : 'The audit log is empty.'}</p>
        )}
        {events.length > 0 && <EventTable events={events} filters={filters} />}
      </div>
      {page && (number > 1 || page.pageInfo.hasNextPage) && (
        <nav class="row" aria-label="Pages">
          <button type="button" onClick={() => move(cursors.slice(0, -1))} disabled={number === 1}>
            Previous page
          </button>
          <button type="button" onClick={() => page.pageInfo.endCursor && move([...cursors, page.pageInfo.endCursor])} disabled={!page.pageInfo.hasNextPage}>
            Next page
          </button>
        </nav>
      )}
    </>
  );
}

function EventTable({ events, filters }: { events: AuditEvent[]; filters: Filters }) {
  /** A link to this view narrowed by one more filter. */
  const narrowed = (key: keyof Filters, value: string) => auditPath({ ...filters, [key]: value });
  return (
    <table class="audit-table">
      <caption class="visually-hidden">Audit events</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Target</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.id}>
            <td data-label="Time">
              <time dateTime={event.at}>{new Date(event.at).toLocaleString()}</time>
            </td>
            <td data-label="Actor">
              <Actor event={event} href={event.actorId ? narrowed('actor', event.actorId) : null} />
            </td>
            <td data-label="Action">
              {filters.action === event.action ? (
                <code>{event.action}</code>
              ) : (
                <Link to={narrowed('action', event.action)}>
                  <code>{event.action}</code>
                  <span class="visually-hidden"> (show only this action)</span>
                </Link>
              )}
            </td>
            <td data-label="Target">
              {event.targetId ? (
                <>
                  {event.targetType && <span>{event.targetType} </span>}
                  {filters.target === event.targetId ? (
                    <code title={event.targetId}>{shortId(event.targetId)}</code>
                  ) : (
                    <Link to={narrowed('target', event.targetId)}>
                      <code title={event.targetId}>{shortId(event.targetId)}</code>
                      <span class="visually-hidden"> (show only this target)</span>
                    </Link>
                  )}
                </>
              ) : (
                <span class="hint">{event.targetType ?? '—'}</span>
              )}
            </td>
            <td data-label="Details">
              <Details event={event} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const ACTOR_TYPES: Record<AuditEvent['actorType'], string> = { USER: 'User', ANONYMOUS: 'Anonymous', SYSTEM: 'The server', CLI: 'Command line' };

function Actor({ event, href }: { event: AuditEvent; href: string | null }) {
  const name = event.actorEmail ?? ACTOR_TYPES[event.actorType];
  return (
    <>
      {href ? (
        <Link to={href}>
          {name}
          <span class="visually-hidden"> (show only this actor)</span>
        </Link>
      ) : (
        <span>{name}</span>
      )}
      {event.actorType !== 'USER' && event.actorEmail && <span class="hint"> ({ACTOR_TYPES[event.actorType].toLowerCase()})</span>}
      {event.ip && <span class="audit-meta">from {event.ip}</span>}
    </>
  );
}

/** The event's JSON details as a short list of facts, then the user agent (cut to one line on screen). */
function Details({ event }: { event: AuditEvent }) {
  const facts = parseDetails(event.details);
  return (
    <>
      {facts.length > 0 && (
        <dl class="audit-details">
          {facts.map(([key, value]) => (
            <div key={key}>
              <dt>{words(key)}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      )}
      {event.userAgent && (
        <span class="audit-meta audit-agent" title={event.userAgent}>
          {event.userAgent}
        </span>
      )}
    </>
  );
}

function parseDetails(details: string | null): Array<[string, string]> {
  if (!details) return [];
  let value: unknown;
  try {
    value = JSON.parse(details);
  } catch {
    return [['details', details]]; // Not JSON after all: show it as it is.
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [['details', details]];
  return Object.entries(value).map(([key, v]) => [key, Array.isArray(v) ? v.map(String).join(', ') || '—' : typeof v === 'string' ? v : JSON.stringify(v)]);
}

/** A long id (a UUID) cut to its first characters on screen; the filter link carries it whole. */
const shortId = (id: string): string => (id.length > 12 ? `${id.slice(0, 8)}…` : id);

/** A details key as words: 'permissionsAdded' → 'permissions added'. */
const words = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replaceAll('_', ' ').toLowerCase();

/** An ISO time as a datetime-local value in the viewer's time zone ('' when it is none or not a time). */
function localInput(iso: string): string {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const isoOf = (local: string): string => {
  const date = new Date(local);
  return local && !Number.isNaN(date.getTime()) ? date.toISOString() : '';
};
