// The GraphQL context: what every resolver may use. Built once per operation by server.ts.
import type { EntityManager } from '@mikro-orm/sql';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Clock } from './util/clock.ts';
import type { Orm } from './db/orm.ts';
import type { Redis } from './db/redis.ts';
import type { User } from './accounts/entities.ts';
import type { LiveSession } from './sessions/service.ts';
import type { LiveAccessToken } from './tokens/service.ts';
import type { Mailer } from './mail/mailer.ts';
import type { AuthThrottle } from './auth/throttle.ts';
import type { ValidatorRegistry } from './validation/registry.ts';
import type { BackgroundTasks } from './util/background.ts';
import type { ViewerAccess } from './access/viewer-access.ts';
import type { SetupGate } from './admin/setup.ts';
import type { PubSub } from './realtime/pubsub.ts';
import type { MaintenanceCache } from './maintenance/service.ts';
import type { DatabaseRuntime } from './database/runtime.ts';
import type { OAuthProviders } from './oauth/providers/index.ts';

/** Long-lived parts of the running server, shared by every request and by the CLI. */
export interface Services {
  config: Config;
  clock: Clock;
  orm: Orm;
  logger: Logger;
  /** Redis connections when REDIS_URL is set (several instances), else null. */
  redis: { client: Redis; subscriber: Redis } | null;
  mailer: Mailer;
  throttle: AuthThrottle;
  validators: ValidatorRegistry;
  background: BackgroundTasks;
  /** First-run setup: the setup token and the lock that lets one `completeSetup` win. */
  setup: SetupGate;
  /** Live events for subscriptions (in-process; a distributed one when several instances run). */
  pubsub: PubSub;
  /** The maintenance state as this process last saw it (read by the gate on every operation). */
  maintenance: MaintenanceCache;
  /** The configured OAuth / OpenID Connect providers. */
  oauth: OAuthProviders;
  /** Backups, restores and the gate requests pass while the database file is swapped. */
  database: DatabaseRuntime;
}

/** How the viewer proved who they are on this request. */
export type Credential =
  | { kind: 'session'; via: 'cookie' | 'bearer'; session: LiveSession }
  | { kind: 'token'; via: 'bearer' | 'basic'; token: LiveAccessToken }
  /** HTTP Basic email + password on this request (AUTH_BACKEND=basic), or a deployer's authenticator. */
  | { kind: 'password'; via: 'basic' | string };

/** What a service needs to act for a request: its own EntityManager and who asks, from where. */
export interface RequestScope {
  services: Services;
  em: EntityManager;
  viewer: User | null;
  credential: Credential | null;
  ip: string;
  userAgent: string | null;
  requestId: string;
  /**
   * Who acts when there is no viewer: the operator at the command line or the server itself act
   * with full authority; otherwise (absent) a request without a viewer is anonymous.
   */
  actorType?: 'cli' | 'system';
  /** Roles and permissions of a user, read once per request and user (use `viewerAccess(scope)`). */
  loadAccess(user: User | null): Promise<ViewerAccess>;
}

export interface Context extends RequestScope {
  request: Request;
  /** Set-Cookie values to add to the HTTP response (ignored on WebSocket). */
  responseCookies: string[];
}

/** The current viewer's roles and permissions (login and logout may change the viewer mid-operation). */
export function viewerAccess(scope: Pick<RequestScope, 'viewer' | 'loadAccess'>): Promise<ViewerAccess> {
  return scope.loadAccess(scope.viewer);
}

/** The command line or the server itself, acting with full authority (never a GraphQL request). */
export function isOperator(scope: { viewer: User | null; actorType?: string | undefined }): boolean {
  return scope.viewer === null && (scope.actorType === 'cli' || scope.actorType === 'system');
}

/** The id of the session this request was made with, or null (anonymous, token, Basic). */
export function currentSessionId(scope: Pick<RequestScope, 'credential'>): string | null {
  return scope.credential?.kind === 'session' ? scope.credential.session.id : null;
}
