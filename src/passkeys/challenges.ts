// WebAuthn challenges in the database, so that any instance can finish a ceremony another began.
// Each is single use: consuming it is one conditional update, whatever the outcome of the check after it.
import type { EntityManager } from '@mikro-orm/sql';
import type { Clock } from '../util/clock.ts';
import { InvalidTokenError, TokenExpiredError } from '../errors.ts';
import { PasskeyChallenge, type PasskeyChallengePurpose } from './entities.ts';

export const CHALLENGE_TTL_MS = 5 * 60_000;

const ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Stores the challenge of a new ceremony (dropping expired ones); returns its id and end. */
export async function saveChallenge(
  em: EntityManager,
  clock: Clock,
  input: { challenge: string; purpose: PasskeyChallengePurpose; userId: string | null },
): Promise<{ challengeId: string; expiresAt: Date }> {
  const now = clock.now();
  await em.nativeDelete(PasskeyChallenge, { expiresAt: { $lte: now } });
  const row = em.create(
    PasskeyChallenge,
    { challenge: input.challenge, purpose: input.purpose, user: input.userId, createdAt: now, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS), usedAt: null },
    { persist: false },
  );
  await em.insert(row);
  return { challengeId: row.id, expiresAt: row.expiresAt };
}

/**
 * Uses a challenge up and returns it: INVALID_TOKEN when unknown, of another purpose or already
 * used (also when two requests race for it: one wins), TOKEN_EXPIRED when late.
 */
export async function consumeChallenge(
  em: EntityManager,
  clock: Clock,
  challengeId: string,
  purpose: PasskeyChallengePurpose,
): Promise<{ challenge: string; userId: string | null }> {
  if (!ID_SHAPE.test(challengeId)) throw new InvalidTokenError();
  const row = await em.findOne(PasskeyChallenge, { id: challengeId, purpose });
  if (!row || row.usedAt) throw new InvalidTokenError();
  const now = clock.now();
  if ((await em.nativeUpdate(PasskeyChallenge, { id: row.id, usedAt: null }, { usedAt: now })) !== 1) throw new InvalidTokenError();
  if (row.expiresAt <= now) throw new TokenExpiredError();
  return { challenge: row.challenge, userId: row.user?.id ?? null };
}
