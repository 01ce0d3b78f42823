// Single-use, expiring tokens sent by email (confirmation, password reset, email change). Only the SHA-256 is
// stored; consuming is one conditional UPDATE, so two concurrent uses succeed exactly once.
import type { EntityManager } from '@mikro-orm/sql';
import { lockInTransaction } from '../db/locks.ts';
import type { Clock } from '../util/clock.ts';
import { generateToken, hashToken } from '../util/secrets.ts';
import { InvalidTokenError, TokenExpiredError } from '../errors.ts';
import { EmailToken, type EmailTokenPurpose, type User } from './entities.ts';

/** What an email-change token carries beside the current address. */
export interface EmailChangeTarget {
  newEmail: string;
  sessionId?: string | null;
}

/** Replaces any unused token of this purpose with a new one; returns the raw token. */
export async function issueEmailToken(
  em: EntityManager,
  clock: Clock,
  user: User,
  purpose: EmailTokenPurpose,
  ttlMs: number,
  change: EmailChangeTarget | null = null,
): Promise<string> {
  const token = generateToken();
  const now = clock.now();
  await em.nativeDelete(EmailToken, { user: user.id, purpose, usedAt: null });
  em.create(EmailToken, {
    tokenHash: hashToken(token),
    user,
    purpose,
    email: user.email,
    newEmail: change?.newEmail ?? null,
    sessionId: change?.sessionId ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
  });
  await em.flush();
  return token;
}

/**
 * Like issueEmailToken, unless a token of this purpose was issued less than `intervalMs` ago: then
 * null. Check and issue hold a lock, so simultaneous requests (on any instance) send one email.
 */
export async function issueEmailTokenUnlessRecent(
  em: EntityManager,
  clock: Clock,
  user: User,
  purpose: EmailTokenPurpose,
  ttlMs: number,
  intervalMs: number,
): Promise<string | null> {
  return em.transactional(async (tx) => {
    await lockInTransaction(tx, `email-token:${user.id}:${purpose}`);
    const last = await lastIssuedAt(tx, user.id, purpose);
    if (last !== null && clock.now().getTime() - last.getTime() < intervalMs) return null;
    return issueEmailToken(tx, clock, user, purpose, ttlMs);
  });
}

/** When the newest token of this purpose was sent, to space out repeated emails. */
export async function lastIssuedAt(em: EntityManager, userId: string, purpose: EmailTokenPurpose): Promise<Date | null> {
  const latest = await em.findOne(EmailToken, { user: userId, purpose }, { orderBy: { createdAt: 'desc' } });
  return latest?.createdAt ?? null;
}

/** Finds a usable token (with its user) without using it up; throws INVALID_TOKEN or TOKEN_EXPIRED. */
export async function findUsableToken(em: EntityManager, clock: Clock, token: string, purpose: EmailTokenPurpose): Promise<EmailToken> {
  if (token.length < 20 || token.length > 200) throw new InvalidTokenError();
  const record = await em.findOne(EmailToken, { tokenHash: hashToken(token), purpose }, { populate: ['user'] });
  if (!record || record.usedAt) throw new InvalidTokenError();
  if (record.expiresAt <= clock.now()) throw new TokenExpiredError();
  // The address changed since the token was sent: it proves nothing about the current one.
  if (record.email !== record.user.email) throw new InvalidTokenError();
  return record;
}

/** Marks the token used; throws INVALID_TOKEN if another request used it first. */
export async function consumeToken(em: EntityManager, clock: Clock, record: EmailToken): Promise<void> {
  const updated = await em.nativeUpdate(EmailToken, { tokenHash: record.tokenHash, usedAt: null }, { usedAt: clock.now() });
  if (updated !== 1) throw new InvalidTokenError();
}
