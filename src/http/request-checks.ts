// Checks on a raw HTTP request before yoga sees it: a usable Host, a declared and bounded body size,
// no compression, and a text body that is valid UTF-8. Each failure is a precise 4xx.
import type { IncomingMessage } from 'node:http';
import { isUtf8 } from 'node:buffer';

export interface Refusal {
  status: number;
  message: string;
}

// A name or IPv4 address (unreserved characters; `_` for container service names) or a bracketed
// IPv6 address, with an optional port. URL.canParse then rejects what the regex lets through
// (a port over 65535, a malformed address).
const HOST = /^(?:[A-Za-z0-9._~-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * Yoga builds the request URL from the Host header; one it cannot parse made it throw and answer
 * a 500 with a stack trace. HTTP/1.1 requires a valid Host (RFC 9112 §3.2), so refuse it first.
 */
export function hostRefusal(req: IncomingMessage): Refusal | null {
  const host = req.headers.host;
  // HTTP/1.0 clients may omit Host (HTTP/1.1 ones cannot: Node answers those itself).
  if (host === undefined) return null;
  if (HOST.test(host) && URL.canParse(`http://${host}/`)) return null;
  return { status: 400, message: 'Invalid Host header.' };
}

/** Refuses bodies over the limit before anything reads them (and chunked POSTs, whose size is unknown). */
export function bodyRefusal(req: IncomingMessage, maxBytes: number): Refusal | null {
  if (req.method !== 'POST') return null;
  const length = req.headers['content-length'];
  if (length === undefined) return { status: 411, message: 'A Content-Length header is required.' };
  if (!/^\d{1,15}$/.test(length)) return { status: 400, message: 'Invalid Content-Length.' };
  if (Number(length) > maxBytes) return { status: 413, message: `Request body over ${maxBytes} bytes.` };
  return null;
}

/** The whole body (its size is already bounded by bodyRefusal), or null when the client went away. */
export function readBody(req: IncomingMessage): Promise<Buffer | null> {
  // Events rather than `for await`: the async iterator costs measurably on every small request.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // An aborted upload ends the request; there is no one left to answer.
      if (error.code === 'ECONNRESET' || req.destroyed) resolve(null);
      else reject(error);
    });
    // The client went away before the end (no 'end' will come).
    req.on('close', () => {
      if (!req.complete) resolve(null);
    });
  });
}

/** Compressed request bodies are not supported: decompressing would bypass the size limit. */
export function contentEncodingRefusal(req: IncomingMessage): Refusal | null {
  if (req.method !== 'POST') return null;
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return null;
  return { status: 415, message: `Content-Encoding "${coding.slice(0, 32)}" is not supported: send the body uncompressed.` };
}

/**
 * JSON, GraphQL and form bodies must be UTF-8 (RFC 8259 §8.1). Decoding invalid bytes would turn
 * them silently into U+FFFD, so two different passwords could become the same string. Multipart
 * bodies may carry binary files and are not checked as a whole.
 */
export function encodingRefusal(req: IncomingMessage, body: Buffer): Refusal | null {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'multipart/form-data' || isUtf8(body)) return null;
  return { status: 400, message: 'The request body is not valid UTF-8.' };
}

/** The request target as a URL, or null when it does not parse (then it is none of the plain routes). */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/** The request's headers as a fetch Headers (one value each; repeated headers are left out), for authenticating it. */
export function requestHeaders(req: IncomingMessage): Headers {
  return new Headers(Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
}
