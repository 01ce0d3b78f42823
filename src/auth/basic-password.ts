// The `basic` backend's authenticator: HTTP Basic email + password on every request. The password
// check is the same as `login` (throttled, audited, enumeration-safe); a verified pair is then
// remembered briefly under an HMAC of the pair (never the password itself), so argon2 does not
// run on every request of a script or a browser tab. A remembered pair holds only while the
// account's credentials are as they were when it was verified: each hit compares a stamp of the
// row (password hash, credentialsChangedAt), so a password change, reset or factor change made on
// any instance takes effect on the very next request.
import { isLockedOut } from '../accounts/lockout.ts';
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { User } from '../accounts/entities.ts';
import { DomainError, RateLimitedError } from '../errors.ts';
import { accessLoader } from '../accounts/roles.ts';
import { verifyCredentials } from './service.ts';
import { NOT_MINE, type Authenticator } from './authenticators.ts';
import { parseAuthorization, TOKEN_USERNAME } from './authorization-header.ts';

const MAX_CACHED = 10_000;

export function createBasicPasswordAuthenticator(): Authenticator {
  // A KeyObject: a Buffer key is imported anew on every HMAC (src/util/secret-box.ts).
  const key = createSecretKey(randomBytes(32));
  const verified = new Map<string, { userId: string; stamp: string; until: number }>();
  const fingerprint = (email: string, password: string) =>
    createHmac('sha256', key).update(email.trim().toLowerCase()).update('\u0000').update(password).digest('base64url');
  /** The account's credentials as stored (the hash is an HMAC too: the cache never holds it). */
  const stampOf = (user: User) =>
    createHmac('sha256', key).update(user.passwordHash ?? '').update('\u0000').update(String(user.credentialsChangedAt?.getTime() ?? '')).digest('base64url');

  return {
    name: 'basic-password',
    async authenticate(request, { em, services }) {
      const header = parseAuthorization(request.headers.get('authorization'));
      if (header.scheme !== 'basic' || header.username === TOKEN_USERNAME) return NOT_MINE;
      const now = services.clock.now().getTime();
      const id = fingerprint(header.username, header.password);
      const cached = verified.get(id);
      if (cached && cached.until > now) {
        const user = await em.findOne(User, { id: cached.userId }, { populate: ['passwordHash'] });
        // Disabled, banned or deleted since it was verified: forget it and refuse at once.
        if (!user || isLockedOut(user, services.clock.now())) {
          verified.delete(id);
          return { kind: 'invalid', message: 'This account cannot sign in.' };
        }
        if (stampOf(user) === cached.stamp) return { kind: 'authenticated', user, credential: { kind: 'password', via: 'basic' } };
        // The password or a factor changed since: forget the pair and check it again below.
        verified.delete(id);
      }
      const scope = { em, services, ip: request.ip, viewer: null, credential: null, userAgent: request.headers.get('user-agent'), requestId: 'basic-auth', loadAccess: accessLoader(em) };
      try {
        // The per-IP budget `login` spends too: without it one address could try one password on
        // every account (each account's own throttle never sees a second failure).
        await services.throttle.consumeIpBudget(request.ip);
        const user = await verifyCredentials(scope, header.username, header.password);
        if (verified.size >= MAX_CACHED) verified.clear();
        verified.set(id, { userId: user.id, stamp: stampOf(user), until: now + services.config.basicAuthCacheTtlMs });
        return { kind: 'authenticated', user, credential: { kind: 'password', via: 'basic' } };
      } catch (error) {
        if (error instanceof RateLimitedError) return { kind: 'invalid', message: error.message, retryAfter: Number(error.extensions.retryAfter) };
        if (error instanceof DomainError) return { kind: 'invalid', message: error.message };
        throw error;
      }
    },
  };
}
