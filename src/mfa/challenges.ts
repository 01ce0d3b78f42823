// The challenge of a two-step sign-in. What it says (whose sign-in, how the first factor passed,
// until when) is sealed in the token itself with SECRETS_KEY (AES-256-GCM, src/util/secret-box.ts),
// so the first step writes nothing and any instance holding the key reads it. What it cannot carry
// is whether it was used: a row per challenge someone answered, written by the answer (used up by
// a success, or by CHALLENGE_FAILURES_MAX wrong codes), and pruned once the challenge has expired.
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import type { Services } from '../context.ts';
import { findJoinedRow, runStatement } from '../db/hot-queries.ts';
import { User } from '../accounts/entities.ts';
import { LoginChallenge } from './entities.ts';

const PREFIX = 'gh2f_';
/** Bound into the sealed payload: no other value sealed with the key (a TOTP seed) reads as a challenge. */
const PURPOSE = 'login-challenge';
/** Far above a sealed challenge's length (about 200 characters with a long OAuth method). */
const MAX_LENGTH = 1024;
/** Wrong codes a challenge takes before it is used up (the throttle limits the rate on top). */
export const CHALLENGE_FAILURES_MAX = 5;

export interface ChallengeClaims {
  /** 128 random bits, base64url: the key of the challenge's row once it is answered. */
  id: string;
  userId: string;
  /** How the first factor passed: `password`, `passkey` or `oauth:<provider>`. */
  method: string;
  expiresAt: Date;
}

/** A new challenge's token (its id chosen here). */
export function sealChallenge(services: Pick<Services, 'secrets'>, claims: Omit<ChallengeClaims, 'id'>): string {
  const id = randomBytes(16).toString('base64url');
  const payload = JSON.stringify({ p: PURPOSE, id, u: claims.userId, m: claims.method, e: claims.expiresAt.getTime() });
  return PREFIX + services.secrets.seal(payload);
}

/** The claims of a token this server sealed as a challenge; null for anything else (altered, foreign, another key). */
export function openChallenge(services: Pick<Services, 'secrets'>, token: string): ChallengeClaims | null {
  if (token.length > MAX_LENGTH || !token.startsWith(PREFIX)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(services.secrets.open(token.slice(PREFIX.length)));
  } catch {
    return null;
  }
  const { p, id, u, m, e } = (claims ?? {}) as Record<string, unknown>;
  if (p !== PURPOSE || typeof id !== 'string' || typeof u !== 'string' || typeof m !== 'string' || typeof e !== 'number') return null;
  return { id, userId: u, method: m, expiresAt: new Date(e) };
}

/** The account with the challenge's row, when it has one: one statement for both. */
const ACCOUNT_AND_STATE =
  'select c.used_at as "c$used_at", c.failures as "c$failures", u.* from users u left join login_challenges c on c.id = ? where u.id = ?';
/** Of two answers to the same challenge, one gets 1 here: the row is new, or was not used yet. */
const USE = 'insert into login_challenges (id, expires_at, used_at, failures) values (?, ?, ?, 0) on conflict (id) do update set used_at = excluded.used_at where login_challenges.used_at is null';
/** A wrong code: counted, and the challenge used up at the last one allowed (a use already recorded stays). */
const FAIL =
  'insert into login_challenges (id, expires_at, used_at, failures) values (?, ?, ?, 1) on conflict (id) do update ' +
  'set failures = login_challenges.failures + 1, used_at = coalesce(login_challenges.used_at, excluded.used_at)';

/**
 * The account the challenge is for, whether the challenge was used up already (by a success or by
 * wrong codes), and its wrong codes so far; null when the account was deleted since.
 */
export async function challengeAccount(em: EntityManager, claims: ChallengeClaims): Promise<{ user: User; used: boolean; failures: number } | null> {
  const found = await findJoinedRow(em, User, 'c$', ACCOUNT_AND_STATE, [claims.id, claims.userId]);
  if (!found) return null;
  return { user: found.entity, used: found.own['used_at'] != null, failures: Number(found.own['failures'] ?? 0) };
}

/** Uses the challenge up; false when another answer did first. */
export async function useChallenge(em: EntityManager, claims: ChallengeClaims, now: Date): Promise<boolean> {
  return (await runStatement(em, USE, [claims.id, claims.expiresAt, now])) === 1;
}

/** Counts a wrong code (`failures` is the count before it); the last one allowed uses the challenge up. */
export async function recordChallengeFailure(em: EntityManager, claims: ChallengeClaims, failures: number, now: Date): Promise<void> {
  await runStatement(em, FAIL, [claims.id, claims.expiresAt, failures + 1 >= CHALLENGE_FAILURES_MAX ? now : null]);
}

/** Deletes the rows of expired challenges (an expired one is refused by its sealed expiry, with or without a row). */
export async function pruneLoginChallenges(em: EntityManager, now: Date): Promise<number> {
  return em.nativeDelete(LoginChallenge, { expiresAt: { $lte: now } });
}

const PRUNE_EVERY_MS = 3_600_000;

/** Prunes now, then every hour until stopped (an unref'd timer; each run is a background task). */
export async function startLoginChallengePruning(services: Services): Promise<{ stop(): void }> {
  const prune = async () => {
    await pruneLoginChallenges(services.orm.em.fork(), services.clock.now());
  };
  await prune();
  const timer = setInterval(() => services.background.run('prune login challenges', prune), PRUNE_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
