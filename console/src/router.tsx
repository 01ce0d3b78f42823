// Client-side routing for /admin/…: the path is the state (history.pushState), a <Link> navigates
// without a reload, and the browser's back/forward buttons work. The server answers index.html for
// every /admin path (src/console/http.ts), so a reload or a shared link opens the same page. A page
// may keep its filters in the query string: navigate('/audit?action=x'), read with useSearch().
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/admin';

const listeners = new Set<() => void>();

/** The path below /admin, always starting with '/': '/admin/users/42' → '/users/42'. */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function navigate(path: string, { replace = false } = {}): void {
  const url = `${BASE}${path === '/' ? '' : path}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
  if (!replace) window.scrollTo(0, 0);
}

/** The current path below /admin; re-renders on navigate() and on back/forward. */
export function usePath(): string {
  return useLocation(currentPath);
}

/** The query string ('?action=x', or ''), for pages whose filters live in the URL; re-renders like usePath. */
export function useSearch(): string {
  return useLocation(() => location.search);
}

function useLocation(read: () => string): string {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return value;
}

/** An <a> to a console path: a plain click navigates in place, a modified click opens a tab as usual. */
export function Link({ to, children, class: className, 'aria-current': current }: { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' }) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a class={className} aria-current={current} href={`${BASE}${to === '/' ? '' : to}`} onClick={onClick}>
      {children}
    </a>
  );
}

/** Matches a path against a pattern with :params ('/users/:id'); null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(got[i]!);
      } catch {
        return null;
      }
    } else if (part !== got[i]) return null;
  }
  return params;
}
