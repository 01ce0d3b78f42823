// The client's address: the socket peer, or, behind TRUST_PROXY reverse proxies, the address the
// outermost trusted proxy saw (X-Forwarded-For read from the right, never trusted blindly).
import type { IncomingMessage } from 'node:http';

export function clientIp(req: IncomingMessage, trustProxyHops: number): string {
  const peer = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  if (trustProxyHops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const candidate = hops[hops.length - trustProxyHops];
  return candidate && /^[0-9a-fA-F:.]{2,45}$/.test(candidate) ? candidate.replace(/^::ffff:/, '') : peer;
}
