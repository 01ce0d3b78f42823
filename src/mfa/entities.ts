// Second factors: an authenticator app's TOTP seed (encrypted at rest), single-use recovery codes
// (hashed), and the sign-ins waiting for their second step (the challenge is stored hashed).
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

/** A sign-in whose first factor passed: `verifySecondFactor` finishes it once, before `expiresAt`. */
export const LoginChallenge = defineEntity({
  name: 'LoginChallenge',
  tableName: 'login_challenges',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    tokenHash: p.string().length(64).unique().hidden(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    /** How the first factor was passed: `password`, or `oauth:<provider>`. */
    method: p.string().length(64),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    /** Wrong codes sent for this challenge; after a few it is used up. */
    failures: p.integer().default(0),
  },
});
export type LoginChallenge = InferEntity<typeof LoginChallenge>;
