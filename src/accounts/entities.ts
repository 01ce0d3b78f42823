// Accounts: the user record and the single-use tokens emailed to it.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Role } from '../access/entities.ts';

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  // Keyset pagination of the admin user list walks this index.
  indexes: [{ properties: ['createdAt', 'id'] }],
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    /** Normalised address (trimmed, lower-case domain) used for display and delivery. */
    email: p.string().length(320),
    /** Lower-cased address: unique, so two spellings of one mailbox are one account. */
    emailKey: p.string().length(320).unique(),
    /** argon2id PHC string; null for accounts that only sign in through a linked provider. */
    passwordHash: p.string().nullable().lazy().hidden(),
    emailConfirmedAt: p.datetime().nullable(),
    displayName: p.string().length(100).nullable(),
    firstName: p.string().length(100).nullable(),
    lastName: p.string().length(100).nullable(),
    phone: p.string().length(40).nullable(),
    bio: p.text().nullable(),
    avatarUrl: p.string().length(2048).nullable(),
    disabled: p.boolean().default(false),
    /** A timed ban (banUser): no sign-in and no credential works until then; lifts itself at that time. */
    bannedUntil: p.datetime().nullable(),
    banReason: p.string().length(500).nullable(),
    /**
     * When the password or a second factor last changed (null: not since the account was made).
     * Credentials remembered from before (the `basic` backend's verified pairs) stop counting.
     */
    credentialsChangedAt: p.datetime().nullable().hidden(),
    roles: () => p.manyToMany(Role).pivotTable('user_roles').owner(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type User = InferEntity<typeof User>;

/**
 * `change-email` goes to the new address of a requested change (it holds that address in `newEmail`);
 * `cancel-email-change` goes to the current address with the notice, and voids the pending change.
 */
export const EMAIL_TOKEN_PURPOSES = ['confirm-email', 'reset-password', 'change-email', 'cancel-email-change'] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/** A one-time token sent by email. Only the SHA-256 of the token is stored. */
export const EmailToken = defineEntity({
  name: 'EmailToken',
  tableName: 'email_tokens',
  properties: {
    tokenHash: p.string().primary().length(64),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    purpose: p.enum(EMAIL_TOKEN_PURPOSES),
    /** The address the token was sent to: confirming proves ownership of this address only. */
    email: p.string().length(320),
    /** An email change: the address the account moves to once `change-email` is used. */
    newEmail: p.string().length(320).nullable(),
    /** An email change: the session that asked for it, which confirming it does not end. */
    sessionId: p.string().length(36).nullable(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
  },
});
export type EmailToken = InferEntity<typeof EmailToken>;
