// OAuth / OpenID Connect: identities linked to accounts, sign-in flows in progress, and the one-time
// codes that hand a finished sign-in to a non-browser client. Secrets are stored as SHA-256 only,
// except the PKCE verifier and nonce, which the token exchange needs as they are.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../accounts/entities.ts';

/** An identity at a provider, linked to one account: found by (provider, subject), never by email. */
export const OAuthAccount = defineEntity({
  name: 'OAuthAccount',
  tableName: 'oauth_accounts',
  uniques: [{ properties: ['provider', 'subject'] }, { properties: ['user', 'provider'] }],
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    provider: p.string().length(32),
    /** The provider's stable user id (`sub`, GitHub's numeric id…). */
    subject: p.string().length(255),
    /** The user name or display name at the provider, as last seen (for showing, not for matching). */
    login: p.string().length(255).nullable(),
    /** The email the provider reported, as last seen (for showing, not for matching). */
    email: p.string().length(320).nullable(),
    linkedAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
  },
});
export type OAuthAccount = InferEntity<typeof OAuthAccount>;

export const OAUTH_FLOW_MODES = ['cookie', 'code', 'link'] as const;
export type OAuthFlowMode = (typeof OAUTH_FLOW_MODES)[number];

/**
 * A sign-in (or link) in progress, from `startOAuthLogin` to the callback. Opened once in a
 * browser (`startedAt`, `bindingHash`), used once at the callback (the row is deleted).
 */
export const OAuthFlow = defineEntity({
  name: 'OAuthFlow',
  tableName: 'oauth_flows',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    /** SHA-256 of the token in the start URL Gatehouse hands out. */
    startTokenHash: p.string().length(64).unique(),
    /** SHA-256 of the OAuth `state` sent to the provider; made when the start URL is opened. */
    stateHash: p.string().length(64).nullable().unique(),
    provider: p.string().length(32),
    mode: p.enum(OAUTH_FLOW_MODES),
    codeVerifier: p.string().length(128),
    nonce: p.string().length(64),
    /** Where the browser goes at the end (already checked against the allow-list). */
    redirectTo: p.string().length(2048),
    /** For `link` flows: the account the identity is linked to. */
    linkUser: () => p.manyToOne(User).deleteRule('cascade').nullable().index(),
    /** SHA-256 of the secret in the browser-binding cookie, set when the start URL is opened. */
    bindingHash: p.string().length(64).nullable(),
    /** CODE mode: the app's PKCE-style challenge, base64url(SHA-256(verifier)); the login code redeems only with the verifier. */
    appChallenge: p.string().length(43).nullable(),
    createdAt: p.datetime(),
    startedAt: p.datetime().nullable(),
    expiresAt: p.datetime().index(),
  },
});
export type OAuthFlow = InferEntity<typeof OAuthFlow>;

/** A finished sign-in waiting for `completeOAuthLogin` (non-browser clients): short-lived, single use. */
export const OAuthLoginCode = defineEntity({
  name: 'OAuthLoginCode',
  tableName: 'oauth_login_codes',
  properties: {
    codeHash: p.string().primary().length(64),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    provider: p.string().length(32),
    /** The app's challenge from the flow: only the app that started the sign-in can redeem the code. */
    appChallenge: p.string().length(43),
    createdAt: p.datetime(),
    expiresAt: p.datetime().index(),
  },
});
export type OAuthLoginCode = InferEntity<typeof OAuthLoginCode>;
