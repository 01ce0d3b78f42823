// A stand-in for the Have I Been Pwned range API (real HTTP on loopback, the real answer format):
// `GET /range/<5 hex>` lists `SUFFIX:COUNT` lines (CRLF), with padding lines of count 0 when the
// request carries `Add-Padding: true`. It records what each request sent, and can be made slow,
// or answer something that is not a range list.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bodyBytes: number;
}

export type RangeBehaviour = 'normal' | 'slow' | 'garbage' | 'error';

export const sha1 = (password: string) => createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();

export class RangeServer {
  readonly seen: SeenRequest[] = [];
  behaviour: RangeBehaviour = 'normal';
  readonly #breached = new Map<string, number>();
  readonly #server: Server;
  url = '';

  constructor(breached: Record<string, number>) {
    for (const [password, count] of Object.entries(breached)) this.#breached.set(sha1(password), count);
    this.#server = createServer((req, res) => {
      let bodyBytes = 0;
      req.on('data', (c: Buffer) => (bodyBytes += c.length));
      req.on('end', () => {
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyBytes });
        const match = /^\/range\/([0-9A-F]{5})$/.exec(req.url ?? '');
        if (!match) return res.writeHead(400).end('The hash prefix was not in a valid format');
        if (this.behaviour === 'error') return res.writeHead(503).end('Service Unavailable');
        if (this.behaviour === 'garbage') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Captive portal</body></html>');
        const lines: string[] = [];
        for (const [hash, count] of this.#breached) if (hash.startsWith(match[1]!)) lines.push(`${hash.slice(5)}:${count}`);
        // A few real-looking other suffixes, and padding (count 0) as the real API adds.
        for (let i = 0; i < 20; i++) lines.push(`${randomBytes(18).toString('hex').toUpperCase().slice(0, 35)}:${i + 1}`);
        if (req.headers['add-padding'] === 'true') for (let i = 0; i < 30; i++) lines.push(`${randomBytes(18).toString('hex').toUpperCase().slice(0, 35)}:0`);
        const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
        if (this.behaviour === 'slow') setTimeout(answer, 4000).unref();
        else answer();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/range/`;
    return this.url;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
