// The GraphQL context: what every resolver and service may use. Built once per operation by server.ts.
//
// This module sits below every domain and names none of them. It holds the parts every domain
// shares (configuration, clock, database, log); each domain adds the part it owns by augmenting
// these interfaces beside the code that provides it, e.g. in src/realtime/pubsub.ts:
//
//   declare module '../context.ts' { interface Services { pubsub: PubSub } }
//
// so a domain depends on the context, never the reverse, and src/services.ts (which assembles the
// real objects) fails to compile when a declared part is missing.
import type { EntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import type { Clock } from './util/clock.ts';
import type { Orm } from './db/orm.ts';
import type { Redis } from './db/redis.ts';
import type { Mailer } from './mail/mailer.ts';
import type { BackgroundTasks } from './util/background.ts';
import type { SecretBox } from './util/secret-box.ts';

/** Long-lived parts of the running server, shared by every request and by the CLI. Domains add theirs. */
export interface Services {
  config: Config;
  clock: Clock;
  orm: Orm;
  logger: Logger;
  /** Redis connections when REDIS_URL is set (several instances), else null. */
  redis: { client: Redis; subscriber: Redis } | null;
  mailer: Mailer;
  background: BackgroundTasks;
  /** Encrypts secrets at rest and computes keyed hashes, with SECRETS_KEY. */
  secrets: SecretBox;
}

/**
 * How a viewer can prove who they are, by kind. Each domain that issues a credential adds its kind
 * (`session` in sessions/, `token` in tokens/, `password` in auth/); `Credential` is their union.
 */
export interface CredentialKinds {}

/** How the viewer proved who they are on this request. */
export type Credential = CredentialKinds[keyof CredentialKinds];

/**
 * What a service needs to act for a request: its own EntityManager and who asks, from where.
 * accounts/ adds `viewer` (the signed-in user) and `loadAccess` (their roles and permissions), auth/
 * adds `credential`.
 */
export interface RequestScope {
  services: Services;
  em: EntityManager;
  ip: string;
  userAgent: string | null;
  requestId: string;
  /**
   * Who acts when there is no viewer: the operator at the command line or the server itself act
   * with full authority; otherwise (absent) a request without a viewer is anonymous.
   */
  actorType?: 'cli' | 'system';
  /**
   * The admin acting as the viewer, when the request comes with an impersonation session
   * (`impersonateUser`) for the account `userId`; null or absent otherwise. The audit log names them
   * as the actor of what is done as that account.
   */
  impersonator?: { id: string; email: string; userId: string } | null;
}

export interface Context extends RequestScope {
  request: Request;
  /** Set-Cookie values to add to the HTTP response (ignored on WebSocket). */
  responseCookies: string[];
}

/** The current viewer's roles and permissions (login and logout may change the viewer mid-operation). */
export function viewerAccess(scope: Pick<RequestScope, 'viewer' | 'loadAccess'>): ReturnType<RequestScope['loadAccess']> {
  return scope.loadAccess(scope.viewer);
}

/** The command line or the server itself, acting with full authority (never a GraphQL request). */
export function isOperator(scope: { viewer: object | null; actorType?: string | undefined }): boolean {
  return scope.viewer === null && (scope.actorType === 'cli' || scope.actorType === 'system');
}
