// The admin console at /admin: the files vite built into console/dist/, read once when the server
// starts (a request path is only ever looked up in that map, never joined onto a file path, so no
// path can reach outside the build). /admin and client routes (/admin/users …) answer index.html
// (`no-cache`, revalidated by ETag); hashed files under /admin/assets/ are cached for a year.
// Every answer carries a strict Content-Security-Policy: the build has no inline script or style.
// With TRUSTED_DOCUMENTS, the console's own documents (the build's persisted-documents.json) are
// trusted too, or its sign-in would be refused to everyone but admins.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from '../config/index.ts';
import { mergeTrustedDocuments, readTrustedDocuments, type TrustedDocuments } from '../config/trusted-documents.ts';

export const CONSOLE_PATH = '/admin';
export const CONSOLE_DIST = join(import.meta.dirname, '..', '..', 'console', 'dist');
/** Written by scripts/build-console.ts: the documents the console sends, for the server only (not served). */
export const CONSOLE_MANIFEST = 'persisted-documents.json';

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

interface ConsoleFile {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

export interface ConsoleBuild {
  dir: string;
  /** By path below /admin/, e.g. `assets/index-3f9a.js`; null when console/dist has no index.html. */
  files: Map<string, ConsoleFile> | null;
}

/** Reads the build once. A missing build is not an error: /admin then says how to build it. */
export function loadConsoleBuild(dir = CONSOLE_DIST): ConsoleBuild {
  if (!existsSync(join(dir, 'index.html'))) return { dir, files: null };
  const files = new Map<string, ConsoleFile>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const name = relative(dir, full).split(sep).join('/');
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && name !== CONSOLE_MANIFEST && statSync(full).size < 16 * 1024 * 1024) {
        const body = readFileSync(full);
        files.set(name, {
          body,
          type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
          immutable: name.startsWith('assets/'),
        });
      }
    }
  };
  walk(dir);
  return { dir, files };
}

/**
 * The trusted documents in effect: TRUSTED_DOCUMENTS plus, while the console is served (a build,
 * not CONSOLE=false), the console's manifest. Null (any document) without TRUSTED_DOCUMENTS. A
 * build without the manifest (built before it existed) adds nothing: `warn` says to rebuild.
 */
export function withConsoleDocuments(trusted: TrustedDocuments | null, build: ConsoleBuild | null, warn: (message: string) => void): TrustedDocuments | null {
  if (!trusted || !build?.files) return trusted;
  const file = join(build.dir, CONSOLE_MANIFEST);
  if (!existsSync(file)) {
    warn(`The admin console's build has no ${CONSOLE_MANIFEST}: with TRUSTED_DOCUMENTS its sign-in is refused. Run \`npm run console:build\`, then restart.`);
    return trusted;
  }
  try {
    return mergeTrustedDocuments(trusted, readTrustedDocuments([file]));
  } catch (error) {
    throw new ConfigError(`The admin console's build is damaged (${(error as Error).message}): run \`npm run console:build\`, or set CONSOLE=false.`);
  }
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  securityHeaders(res);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/**
 * The path below /admin/ a request names, or why it is refused: 400 for what no client link
 * produces (bad percent-encoding, `.`/`..` segments, backslashes, control characters, empty
 * segments), null when it is not a console path at all.
 */
export function consolePathOf(rawPath: string): { rest: string } | { refuse: 400 } | null {
  if (rawPath !== CONSOLE_PATH && !rawPath.startsWith(`${CONSOLE_PATH}/`)) return null;
  const encoded = rawPath.slice(CONSOLE_PATH.length + 1);
  let rest: string;
  try {
    rest = decodeURIComponent(encoded);
  } catch {
    return { refuse: 400 };
  }
  if (rest === '') return { rest };
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(rest)) return { refuse: 400 };
  const segments = rest.split('/');
  // A trailing slash is allowed (/admin/users/); an empty segment elsewhere is not.
  if (segments.slice(0, -1).some((s) => s === '' || s === '.' || s === '..') || segments.at(-1) === '.' || segments.at(-1) === '..') return { refuse: 400 };
  return { rest };
}

/** Answers a request under /admin; false when the path is not the console's (or CONSOLE=false). */
export function handleConsole(req: IncomingMessage, res: ServerResponse, build: ConsoleBuild, path: string): boolean {
  const target = consolePathOf(path);
  if (target === null) return false;
  if ('refuse' in target) {
    sendText(res, 400, 'Bad request path.');
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'Method not allowed.', { allow: 'GET, HEAD' });
    return true;
  }
  if (build.files === null) {
    sendText(res, 503, 'The admin console is not built: run `npm run console:build` (or `npm install`), then restart the server.');
    return true;
  }
  const rest = target.rest;
  let file = build.files.get(rest);
  if (!file || rest === 'index.html') {
    // A file name (with an extension) or anything under assets/ that the build lacks is a 404;
    // any other path is a client route of the single-page app.
    const last = rest.split('/').at(-1) ?? '';
    if (rest !== 'index.html' && (rest.startsWith('assets/') || last.includes('.'))) {
      sendText(res, 404, 'Not found.');
      return true;
    }
    file = build.files.get('index.html')!;
  }
  securityHeaders(res);
  res.setHeader('content-type', file.type);
  res.setHeader('etag', file.etag);
  res.setHeader('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304).end();
    return true;
  }
  res.setHeader('content-length', file.body.length);
  res.writeHead(200);
  res.end(req.method === 'HEAD' ? undefined : file.body);
  return true;
}
