// The pages email links open when no front end of its own handles them: /auth/confirm-email
// (confirms on open), /auth/reset-password (a form that posts the new password), and
// /auth/confirm-email-change and /auth/cancel-email-change (a button that posts: a mail scanner
// opening links must not move an account to another address, nor cancel a change). Their writes
// are refused when the server says so (maintenance mode), as the mutations doing the same are.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestScope, Services } from '../context.ts';
import { confirmEmail, resetPassword } from './service.ts';
import { cancelEmailChange, confirmEmailChange } from './email-change.ts';
import { accessLoader } from './roles.ts';
import { escapeHtml } from '../util/html.ts';
import { buttonForm, errorPage, failurePage, page, readForm } from '../http/pages.ts';
import { requestUrl } from '../http/request-checks.ts';

interface PageDeps {
  services: Services;
  ip: string;
  requestId: string;
  /** Why an anonymous write must not happen now (maintenance mode), or null: the server's assembly supplies it. */
  writeRefusal(): Error | null;
}

function scope({ services, ip, requestId }: PageDeps): RequestScope {
  const em = services.orm.em.fork();
  return { services, ip, requestId, em, viewer: null, credential: null, userAgent: null, loadAccess: accessLoader(em) };
}

/** The page's write, unless the server refuses writes now (then that refusal, as a page). */
async function write(res: ServerResponse, title: string, deps: PageDeps, act: () => Promise<void>, retryForm = ''): Promise<void> {
  try {
    const refusal = deps.writeRefusal();
    if (refusal) throw refusal;
    await act();
  } catch (error) {
    failurePage(res, title, error, retryForm);
  }
}

function resetForm(token: string): string {
  return `<form method="post" action="/auth/reset-password">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="p">New password</label><input id="p" type="password" name="newPassword" autocomplete="new-password" required minlength="8" maxlength="256">
<button type="submit">Set new password</button></form>`;
}

/** The email-change pages: GET shows one button, POST does the work with the token from the form. */
const EMAIL_CHANGE_PAGES: Record<string, { title: string; intro: string; button: string; act: (scope: RequestScope, token: string) => Promise<string> }> = {
  '/auth/confirm-email-change': {
    title: 'Confirm your new email address',
    intro: '<p>Use this address for your account from now on. Your other sessions will be signed out.</p>',
    button: 'Confirm the new address',
    act: async (s, token) => {
      const user = await confirmEmailChange(s, token);
      return `<p>Done. Your account now uses <strong>${escapeHtml(user.email)}</strong>.</p>`;
    },
  },
  '/auth/cancel-email-change': {
    title: 'Cancel the email change',
    intro: '<p>Stop the requested change of your account\'s email address. It keeps its current address.</p>',
    button: 'Cancel the change',
    act: async (s, token) => {
      await cancelEmailChange(s, token);
      return '<p>The change is cancelled; your account keeps its address. If you did not ask for it, change your password now and sign out your other sessions.</p>';
    },
  },
};

/** Serves the account pages; false when the path is not one of them. */
export async function handleAccountPage(req: IncomingMessage, res: ServerResponse, deps: PageDeps): Promise<boolean> {
  const url = requestUrl(req);
  if (!url) return false;
  if (url.pathname === '/auth/confirm-email' && req.method === 'GET') {
    const title = 'Confirm email address';
    await write(res, title, deps, async () => {
      const user = await confirmEmail(scope(deps), url.searchParams.get('token') ?? '');
      page(res, 200, title, `<p>Thank you. <strong>${escapeHtml(user.email)}</strong> is confirmed; you can sign in now.</p>`);
    });
    return true;
  }
  const changePage = Object.hasOwn(EMAIL_CHANGE_PAGES, url.pathname) ? EMAIL_CHANGE_PAGES[url.pathname]! : null;
  if (changePage && req.method === 'GET') {
    page(res, 200, changePage.title, changePage.intro + buttonForm(url.pathname, url.searchParams.get('token') ?? '', changePage.button));
    return true;
  }
  if (changePage && req.method === 'POST') {
    const form = await readForm(req);
    if (!(form instanceof URLSearchParams)) {
      errorPage(res, form.status, changePage.title, form.message);
      return true;
    }
    await write(res, changePage.title, deps, async () => page(res, 200, changePage.title, await changePage.act(scope(deps), form.get('token') ?? '')));
    return true;
  }
  if (url.pathname === '/auth/reset-password' && req.method === 'GET') {
    page(res, 200, 'Choose a new password', resetForm(url.searchParams.get('token') ?? ''));
    return true;
  }
  if (url.pathname === '/auth/reset-password' && req.method === 'POST') {
    const title = 'Choose a new password';
    const form = await readForm(req);
    if (!(form instanceof URLSearchParams)) {
      errorPage(res, form.status, title, form.message);
      return true;
    }
    const token = form.get('token') ?? '';
    await write(
      res,
      title,
      deps,
      async () => {
        await resetPassword(scope(deps), token, form.get('newPassword') ?? '');
        page(res, 200, 'Password changed', '<p>Your password is changed and every session was signed out. Sign in with the new password.</p>');
      },
      resetForm(token),
    );
    return true;
  }
  return false;
}
