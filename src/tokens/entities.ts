// Personal access tokens: long-lived credentials for scripts and tools. Only the SHA-256 of a
// token is stored; the raw token is shown once, at creation.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../accounts/entities.ts';
import { Organization } from '../organizations/entities.ts';

export const AccessToken = defineEntity({
  name: 'AccessToken',
  tableName: 'access_tokens',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    name: p.string().length(100),
    tokenHash: p.string().length(64).unique().hidden(),
    /** The last four characters, so a user can tell tokens apart. */
    lastFour: p.string().length(4),
    /** Permission names the token is limited to; null means everything its owner may do. */
    permissions: p.json<string[]>().nullable(),
    /** The one organization the token acts in (no other is visible to it, nor any global permission it does not list); null: any. */
    organization: () => p.manyToOne(Organization).nullable().deleteRule('cascade').index(),
    createdAt: p.datetime(),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
  },
});
export type AccessToken = InferEntity<typeof AccessToken>;
