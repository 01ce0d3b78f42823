// Sends one webhook request. In production it refuses private, loopback and link-local addresses
// (checked on the address actually connected to, so a DNS answer cannot smuggle one in) and never
// follows a redirect (a 3xx counts as a failed attempt). undici does the HTTP, loaded with the first
// attempt (about a hundred modules a server without webhook endpoints never needs).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { Agent } from 'undici';

const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(network, prefix, 'ipv6');

/** Whether an address is on the public internet (not private, loopback, link-local, CGNAT, multicast…). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !PRIVATE.check(mapped[1]!, 'ipv4');
  return !PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup for net.connect, refusing any name that resolves to a non-public address. */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    if (!addresses.length || addresses.some((a) => !isPublicAddress(a.address))) return callback(new AddressRefusedError(`${hostname} resolves to a private address`), []);
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

export type AttemptOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

export interface WebhookTransport {
  /** `signal` aborts it early (shutdown); `timeoutMs` bounds it. */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

/** The host of a URL as an address, when it is one (`[::1]` → `::1`). */
const literalAddress = (url: URL): string | null => {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? host : null;
};

export function createWebhookTransport(options: { refusePrivateAddresses: boolean }): WebhookTransport {
  let client: Promise<{ agent: Agent; fetch: typeof import('undici').fetch }> | null = null;
  const connect = () =>
    (client ??= import('undici').then(({ Agent, fetch }) => ({
      agent: new Agent({ connect: options.refusePrivateAddresses ? { lookup: publicOnlyLookup as never } : {}, keepAliveTimeout: 10_000 }),
      fetch,
    })));
  return {
    async post(target, headers, body, timeoutMs, signal) {
      const url = new URL(target);
      // An address in the URL is connected to without a lookup: checked here instead.
      const literal = literalAddress(url);
      if (options.refusePrivateAddresses && literal !== null && !isPublicAddress(literal)) return { ok: false, status: null, error: 'address refused: not a public address' };
      try {
        const { agent, fetch } = await connect();
        const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', dispatcher: agent, signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) });
        // Only the status matters; the body is not read (nor kept: it is the receiver's, not ours).
        await response.body?.cancel();
        if (response.status >= 300 && response.status < 400) return { ok: false, status: response.status, error: 'redirect refused' };
        if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
        return { ok: false, status: response.status, error: `HTTP ${response.status}` };
      } catch (error) {
        return { ok: false, status: null, error: describeFailure(error) };
      }
    },
    close: async () => {
      if (client) await (await client).agent.close();
    },
  };
}

function describeFailure(error: unknown): string {
  const err = error as { name?: string; cause?: { code?: string; name?: string } };
  if (err.name === 'TimeoutError') return 'timeout';
  if (err.name === 'AbortError') return 'aborted';
  if (err.cause instanceof AddressRefusedError || err.cause?.name === 'AddressRefusedError') return 'address refused: not a public address';
  return `connection failed${err.cause?.code ? `: ${err.cause.code}` : ''}`.slice(0, 200);
}
