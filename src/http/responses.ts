// Plain HTTP answers outside GraphQL (JSON bodies, request refusals) and the Set-Cookie values a
// GraphQL operation queued for its response.
import type { ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Refusal } from './request-checks.ts';

/** What the HTTP layer hands yoga for each request. */
export interface ServerContext {
  requestId: string;
  ip: string;
  responseCookies: string[];
  /** The parameters of a multipart request, already read (src/http/multipart.ts). */
  multipart?: Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendRefusal(res: ServerResponse, refusal: Refusal & { code?: string }): void {
  sendJson(res, refusal.status, { errors: [{ message: refusal.message, extensions: { code: refusal.code ?? 'BAD_REQUEST' } }] });
}

/** Adds the cookies an operation queued (login, logout) to its HTTP response. */
export function responseCookiesPlugin(): Plugin<{}, ServerContext> {
  return {
    onResponse({ serverContext, response }) {
      for (const cookie of serverContext?.responseCookies ?? []) response.headers.append('set-cookie', cookie);
    },
  };
}
