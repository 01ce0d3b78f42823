// Second factors: an authenticator app's TOTP seed (encrypted at rest), single-use recovery codes
// (hashed), and the answered challenges of two-step sign-ins.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../accounts/entities.ts';

/** One authenticator app per account; it counts as a factor once `confirmedAt` is set. */
export const TotpFactor = defineEntity({
  name: 'TotpFactor',
  tableName: 'totp_factors',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    user: () => p.oneToOne(User).owner().deleteRule('cascade').unique(),
    /** The base32 seed, sealed with SECRETS_KEY (src/util/secret-box.ts). */
    secret: p.string().length(255).hidden(),
    createdAt: p.datetime(),
    confirmedAt: p.datetime().nullable(),
    /** The last 30-second step a code was accepted for: a code is accepted once. */
    lastUsedStep: p.integer().nullable(),
  },
});
export type TotpFactor = InferEntity<typeof TotpFactor>;

export const RecoveryCode = defineEntity({
  name: 'RecoveryCode',
  tableName: 'recovery_codes',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    /** SHA-256 of the normalised code (the codes are random, 60 bits each). */
    codeHash: p.string().length(64).hidden(),
    createdAt: p.datetime(),
    usedAt: p.datetime().nullable(),
  },
});
export type RecoveryCode = InferEntity<typeof RecoveryCode>;

/**
 * A sign-in's challenge once answered (src/mfa/challenges.ts): the challenge itself is sealed in
 * its token, so a row only says that it was used up, or how many wrong codes it took.
 */
export const LoginChallenge = defineEntity({
  name: 'LoginChallenge',
  tableName: 'login_challenges',
  properties: {
    /** The sealed challenge's random id. */
    id: p.string().primary().length(32),
    /** The challenge's own expiry, for pruning. */
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    /** Wrong codes sent for this challenge; after a few it is used up. */
    failures: p.integer().default(0),
  },
});
export type LoginChallenge = InferEntity<typeof LoginChallenge>;
