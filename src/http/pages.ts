// The small HTML pages the server writes itself (email links, OAuth endings): one layout with strict
// headers, a one-button form, reading a posted form within a bound, and expected failures as pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AccessError, DomainError, ValidationFailedError } from '../errors.ts';
import { escapeHtml } from '../util/html.ts';

export const MAX_FORM_BYTES = 16 * 1024;

export interface PageOptions {
  /**
   * `same-origin` for a page whose form posts to a route that checks Origin: under `no-referrer`
   * a browser sends `Origin: null` with the form. Other sites still get no Referer.
   */
  referrerPolicy?: 'no-referrer' | 'same-origin';
}

export function page(res: ServerResponse, status: number, title: string, body: string, options: PageOptions = {}): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Gatehouse</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}
input,button{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0 1rem}button{cursor:pointer}
.error{color:#a00}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The token is in the URL: never send it on in a Referer, never let the page be framed.
    'referrer-policy': options.referrerPolicy ?? 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(html);
}

/** A page with one error message. */
export function errorPage(res: ServerResponse, status: number, title: string, message: string, more = ''): void {
  page(res, status, title, `<p class="error">${escapeHtml(message)}</p>${more}`);
}

/** Turns an expected failure into a page; rethrows anything unexpected. */
export function failurePage(res: ServerResponse, title: string, error: unknown, retryForm = ''): void {
  if (error instanceof ValidationFailedError) {
    const messages = error.fields.flatMap((f) => f.messages);
    return page(res, 400, title, `<p class="error">${messages.map(escapeHtml).join('<br>')}</p>${retryForm}`);
  }
  if (error instanceof DomainError) return errorPage(res, 400, title, error.message);
  if (error instanceof AccessError) {
    return errorPage(res, error.code === 'RATE_LIMITED' ? 429 : (error.httpStatus ?? 403), title, error.message);
  }
  throw error;
}

export function buttonForm(action: string, token: string, label: string): string {
  return `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">${escapeHtml(label)}</button></form>`;
}

export interface Refusal {
  status: number;
  message: string;
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams | Refusal> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { status: 400, message: 'Send the form as application/x-www-form-urlencoded.' };
  const body = await readBody(req, MAX_FORM_BYTES);
  if (body === null) return { status: 413, message: `The form is larger than ${MAX_FORM_BYTES / 1024} KiB.` };
  return new URLSearchParams(body);
}

/**
 * The body as text, or null when it is over `maxBytes`. Reads to the end either way: leaving the
 * loop early destroys the request, and the client then sees a reset connection instead of our answer.
 */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  return size <= maxBytes ? Buffer.concat(chunks).toString('utf8') : null;
}
