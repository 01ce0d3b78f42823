// Passkeys (WebAuthn credentials) registered to accounts, and the challenges of ceremonies in
// progress. Challenges live in the database so that any instance can finish what another started.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../accounts/entities.ts';

export const PASSKEY_DEVICE_TYPES = ['singleDevice', 'multiDevice'] as const;
export type PasskeyDeviceType = (typeof PASSKEY_DEVICE_TYPES)[number];

/** A registered passkey: what verifying its assertions needs (id, public key, counter), and its name. No attestation is kept. */
export const Passkey = defineEntity({
  name: 'Passkey',
  tableName: 'passkeys',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    /** The credential id, base64url (WebAuthn allows up to 1023 bytes). */
    credentialId: p.string().length(1400).unique(),
    /** The COSE public key from the registration. */
    publicKey: p.blob(),
    /** The signature counter last seen (0 for authenticators that keep none). */
    counter: p.bigint('number'),
    /** How the browser can reach the authenticator (`internal`, `hybrid`, `usb`…), as reported at registration. */
    transports: p.json<string[]>(),
    deviceType: p.enum(PASSKEY_DEVICE_TYPES),
    backedUp: p.boolean(),
    name: p.string().length(100),
    createdAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
  },
});
export type Passkey = InferEntity<typeof Passkey>;

export const PASSKEY_CHALLENGE_PURPOSES = ['register', 'authenticate'] as const;
export type PasskeyChallengePurpose = (typeof PASSKEY_CHALLENGE_PURPOSES)[number];

/**
 * One WebAuthn ceremony in progress: the random challenge the authenticator signs, for one purpose,
 * used once (`usedAt`, set by a conditional update) and only until `expiresAt`. `user` is null for a
 * usernameless sign-in (any passkey may answer).
 */
export const PasskeyChallenge = defineEntity({
  name: 'PasskeyChallenge',
  tableName: 'passkey_challenges',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    /** base64url of 32 random bytes. Not a secret: it is sent to the browser and only counts once signed by a passkey. */
    challenge: p.string().length(64),
    purpose: p.enum(PASSKEY_CHALLENGE_PURPOSES),
    user: () => p.manyToOne(User).deleteRule('cascade').nullable().index(),
    createdAt: p.datetime(),
    expiresAt: p.datetime().index(),
    usedAt: p.datetime().nullable(),
  },
});
export type PasskeyChallenge = InferEntity<typeof PasskeyChallenge>;
