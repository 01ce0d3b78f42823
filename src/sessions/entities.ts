// Login sessions. The client holds a random token; the database holds only its SHA-256.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../accounts/entities.ts';

export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    /** Public identifier shown to the user; unrelated to the secret token. */
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    tokenHash: p.string().length(64).unique().hidden(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    createdAt: p.datetime(),
    /** When the user last proved who they are in this session (sign-in or `reauthenticate`); null: at createdAt. */
    authenticatedAt: p.datetime().nullable(),
    lastSeenAt: p.datetime(),
    expiresAt: p.datetime(),
    ipAddress: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    /**
     * Impersonation (`impersonateUser`): the admin acting as `user` in this session, and why. Such a
     * session lasts at most an hour and cannot change the user's credentials; it ends with its admin.
     */
    impersonator: () => p.manyToOne(User).nullable().deleteRule('cascade').index(),
    impersonationReason: p.string().length(500).nullable(),
  },
});
export type Session = InferEntity<typeof Session>;
