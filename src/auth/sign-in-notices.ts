// "New sign-in" notices. A device is the browser and OS family of the user agent (no versions: an
// update is not a new device) plus the network prefix of the address (/24 for IPv4, /48 for IPv6).
// Each account keeps a keyed hash of its devices; a sign-in from one it has not seen is emailed to
// the owner (SIGN_IN_NOTICES), except the account's first sign-in ever, which only records it.
import { randomUUID } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RequestScope } from '../context.ts';
import type { User } from '../accounts/entities.ts';
import { KnownDevice } from './entities.ts';
import { runStatement } from '../db/hot-queries.ts';
import { newSignInMessage } from '../mail/templates.ts';

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];
const SYSTEMS: Array<[RegExp, string]> = [
  [/\bWindows\b/, 'Windows'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** The browser and OS of a user agent, or its first product token (`curl`, `node`), or "an unknown browser". */
export function deviceFamily(userAgent: string | null): { browser: string; os: string | null } {
  const ua = (userAgent ?? '').slice(0, 512);
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? (/^([A-Za-z][\w.-]{0,40})/.exec(ua)?.[1] ?? 'an unknown browser');
  const os = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1] ?? null;
  return { browser, os };
}

export function deviceLabel(userAgent: string | null): string {
  const { browser, os } = deviceFamily(userAgent);
  return os ? `${browser} on ${os}` : browser;
}

/** The network an address is in: its first three IPv4 octets or first three IPv6 groups. */
export function networkPrefix(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  if (isIPv4(address)) return address.split('.').slice(0, 3).join('.');
  if (isIPv6(address)) {
    // Expand "::" so that the first three groups are the real ones.
    const [head = '', tail] = address.toLowerCase().split('::');
    const left = head ? head.split(':') : [];
    const right = tail === undefined ? [] : tail ? tail.split(':') : [];
    const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
    return groups.slice(0, 3).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  }
  return address;
}

/** The common case, a known device, as a prepared statement (src/db/hot-queries.ts). */
const SEEN_AGAIN = 'update known_devices set last_seen_at = ? where user_id = ? and device_hash = ?';

/**
 * Records the device of a sign-in that just created a session, and emails the owner when the account
 * has signed in before but never from this device.
 */
export async function noteSignInDevice(scope: RequestScope, user: User): Promise<void> {
  const { em, services } = scope;
  const { browser, os } = deviceFamily(scope.userAgent);
  const deviceHash = services.secrets.mac('device', `${browser}\0${os ?? ''}\0${networkPrefix(scope.ip)}`);
  const now = services.clock.now();
  if ((await runStatement(em, SEEN_AGAIN, [now, user.id, deviceHash])) > 0) return;
  const firstSignIn = (await em.count(KnownDevice, { user: user.id })) === 0;
  try {
    await em.insert(KnownDevice, { id: randomUUID(), user: user.id, deviceHash, firstSeenAt: now, lastSeenAt: now });
  } catch (error) {
    // A simultaneous sign-in from the same device recorded it (and tells the owner, if anyone does).
    if (error instanceof UniqueConstraintViolationException) return;
    throw error;
  }
  // Recorded even with notices off, so turning them on later does not mail about known devices.
  if (firstSignIn || !services.config.signInNotices) return;
  const message = newSignInMessage(user.email, { at: now, device: deviceLabel(scope.userAgent), userAgent: scope.userAgent, ip: scope.ip });
  services.background.run('new sign-in notice', () => services.mailer.send(message));
}
