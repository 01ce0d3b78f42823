// Pending sign-in flows and one-time login codes in the database, so any instance can finish
// what another started. Each step is single-use through a conditional write: a start URL opens
// once (binding the flow to that browser), a state is consumed once, a login code redeems once.
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/sql';
import type { Clock } from '../util/clock.ts';
import { generateToken, hashToken, safeEqual } from '../util/secrets.ts';
import { InvalidTokenError, TokenExpiredError } from '../errors.ts';
import type { User } from '../accounts/entities.ts';
import { OAuthFlow, OAuthLoginCode, type OAuthFlowMode } from './entities.ts';
import { OAuthFlowError } from './errors.ts';

export const FLOW_TTL_MS = 10 * 60_000;
export const LOGIN_CODE_TTL_MS = 60_000;

/** Our tokens are 43 base64url characters; anything else is not one of ours and is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
export const looksLikeToken = (value: string | null | undefined): value is string => !!value && TOKEN_SHAPE.test(value);

export interface NewFlow {
  provider: string;
  mode: OAuthFlowMode;
  redirectTo: string;
  linkUserId?: string;
  /** CODE mode: base64url(SHA-256(the app's verifier)). */
  appChallenge?: string;
}

/** Records a flow; returns the raw token of its start URL (shown once) and when it expires. */
export async function createFlow(em: EntityManager, clock: Clock, input: NewFlow): Promise<{ startToken: string; expiresAt: Date }> {
  const now = clock.now();
  // Abandoned flows and unredeemed codes go whenever a new flow starts (both tables index expiresAt).
  await em.nativeDelete(OAuthFlow, { expiresAt: { $lte: now } });
  await em.nativeDelete(OAuthLoginCode, { expiresAt: { $lte: now } });
  const startToken = generateToken();
  const expiresAt = new Date(now.getTime() + FLOW_TTL_MS);
  em.create(OAuthFlow, {
    startTokenHash: hashToken(startToken),
    stateHash: null,
    provider: input.provider,
    mode: input.mode,
    codeVerifier: generateToken(),
    nonce: generateToken(),
    redirectTo: input.redirectTo,
    linkUser: input.linkUserId ?? null,
    bindingHash: null,
    appChallenge: input.appChallenge ?? null,
    createdAt: now,
    startedAt: null,
    expiresAt,
  });
  await em.flush();
  return { startToken, expiresAt };
}

/**
 * Opens a flow from its start URL in a browser: binds it to `bindingSecret` (the browser's cookie)
 * and creates the `state` sent to the provider. A start URL works once, so whoever opens it first
 * is the only browser that can finish it.
 */
export async function openFlow(
  em: EntityManager,
  clock: Clock,
  provider: string,
  startToken: string | null,
  bindingSecret: string,
): Promise<{ flow: OAuthFlow; state: string }> {
  if (!looksLikeToken(startToken)) throw new OAuthFlowError('invalid_state');
  const flow = await em.findOne(OAuthFlow, { startTokenHash: hashToken(startToken), provider });
  if (!flow) throw new OAuthFlowError('invalid_state');
  const now = clock.now();
  if (flow.expiresAt <= now) throw new OAuthFlowError('flow_expired', flow.redirectTo);
  const state = generateToken();
  const update = { startedAt: now, stateHash: hashToken(state), bindingHash: hashToken(bindingSecret) };
  const opened = await em.nativeUpdate(OAuthFlow, { id: flow.id, startedAt: null }, update);
  if (opened !== 1) throw new OAuthFlowError('invalid_state', flow.redirectTo);
  Object.assign(flow, update);
  return { flow, state };
}

/**
 * Takes the flow a callback's `state` names, once. The browser must present the binding secret the
 * flow was opened with; a request without it does not use the flow up (the right browser may follow).
 */
export async function takeFlow(
  em: EntityManager,
  clock: Clock,
  provider: string,
  state: string | null,
  bindingSecret: string | null,
): Promise<OAuthFlow> {
  if (!looksLikeToken(state)) throw new OAuthFlowError('invalid_state');
  const flow = await em.findOne(OAuthFlow, { stateHash: hashToken(state), provider }, { populate: ['linkUser'] });
  if (!flow?.bindingHash) throw new OAuthFlowError('invalid_state');
  if (!bindingSecret || !safeEqual(hashToken(bindingSecret), flow.bindingHash)) throw new OAuthFlowError('browser_mismatch', flow.redirectTo);
  if ((await em.nativeDelete(OAuthFlow, { id: flow.id })) !== 1) throw new OAuthFlowError('invalid_state', flow.redirectTo);
  if (flow.expiresAt <= clock.now()) throw new OAuthFlowError('flow_expired', flow.redirectTo);
  return flow;
}

/** A one-time code for a finished sign-in, redeemable once within LOGIN_CODE_TTL_MS. */
export async function issueLoginCode(em: EntityManager, clock: Clock, user: User, provider: string, appChallenge: string): Promise<string> {
  const code = generateToken();
  const now = clock.now();
  await em.insert(OAuthLoginCode, {
    codeHash: hashToken(code),
    user: user.id,
    provider,
    appChallenge,
    createdAt: now,
    expiresAt: new Date(now.getTime() + LOGIN_CODE_TTL_MS),
  });
  return code;
}

/** RFC 7636 S256: the challenge an app sends for the verifier it keeps. */
export function appChallengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** A PKCE verifier's form (RFC 7636): 43–128 unreserved characters. */
export const VERIFIER_SHAPE = /^[A-Za-z0-9._~-]{43,128}$/;
/** A S256 challenge: 43 base64url characters. */
export const CHALLENGE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Uses a login code up and returns whose it is; INVALID_TOKEN when unknown, used, or presented
 * without the verifier of the app that started the sign-in (so an app that intercepted the
 * redirect cannot redeem it); TOKEN_EXPIRED when late.
 */
export async function redeemLoginCode(em: EntityManager, clock: Clock, code: string, verifier: string): Promise<{ user: User; provider: string }> {
  if (!looksLikeToken(code)) throw new InvalidTokenError();
  const record = await em.findOne(OAuthLoginCode, { codeHash: hashToken(code) }, { populate: ['user'] });
  if (!record) throw new InvalidTokenError();
  // Deleted whatever happens next: a code is never tried twice.
  if ((await em.nativeDelete(OAuthLoginCode, { codeHash: record.codeHash })) !== 1) throw new InvalidTokenError();
  if (!VERIFIER_SHAPE.test(verifier) || !safeEqual(appChallengeOf(verifier), record.appChallenge)) throw new InvalidTokenError();
  if (record.expiresAt <= clock.now()) throw new TokenExpiredError();
  return { user: record.user, provider: record.provider };
}
