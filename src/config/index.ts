// Environment → typed, validated configuration. The only module that reads process.env;
// everything else receives a Config.
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../util/duration.ts';
import { DEFAULT_DATABASE_POOL_SIZE, dialectOf } from './dialect.ts';
import { checkEmail, normalizeEmail } from '../util/email.ts';
import { isLoopbackUrl, OAUTH_PROVIDER_IDS, PROVIDERS, type OAuthProviderSettings } from './oauth-providers.ts';
import { parseAllowlistEntry } from '../util/redirects.ts';
import { readTrustedDocuments, type TrustedDocuments } from './trusted-documents.ts';
import { metricsSettings, OBSERVABILITY_ENV, tracingSettings, type MetricsSettings, type TracingSettings } from './observability.ts';

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const duration = z.string().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (e.g. 30d, 12h, 15m, 45s)` });
    return z.NEVER;
  }
  return ms;
});

/** A whole number written in digits only: z.coerce.number would read " " as 0 and "1e3" as 1000. */
const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const positiveInt = integer(1, Number.MAX_SAFE_INTEGER);

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** A 256-bit key written as base64, base64url or hex. */
const secretsKey = z.string().trim().transform((value, ctx) => {
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (bytes.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'expected 32 random bytes as base64 or hex (e.g. `openssl rand -base64 32`)' });
    return z.NEVER;
  }
  return bytes;
});

const absoluteUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).transform((v) => v.replace(/\/+$/, ''));

/**
 * A browser origin (scheme://host[:port]) as the Origin header spells it. An entry with a path
 * could never equal an Origin header, so it is refused rather than silently never matching.
 */
const origin = z.url({ protocol: /^https?$/, error: 'expected an origin such as https://app.example.com' }).transform((value, ctx) => {
  const url = new URL(value);
  if (url.pathname !== '/' || url.search || url.hash || url.username) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an origin: remove the path (e.g. ${url.origin})` });
    return z.NEVER;
  }
  return url.origin;
});

/**
 * An SQLite file path (or file: URL), or postgres://user:password@host:port/database. A URL of
 * another scheme would otherwise become a strange file name.
 */
const databaseUrl = z
  .string()
  .min(1)
  .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^(file|postgres|postgresql):/i.test(v), 'expected an SQLite file path, a file: URL or a postgres:// URL')
  .refine((v) => !/^postgres(ql)?:/i.test(v) || (URL.canParse(v) && new URL(v).hostname !== '' && /^\/[^/]+$/.test(new URL(v).pathname)), 'expected postgres://user:password@host:port/database');

const redisUrl = z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' });

/** An OAUTH_REDIRECT_ALLOWLIST entry: an absolute URL (the redirect must start with it). */
const redirectPrefix = z.string().transform((value, ctx) => {
  const parsed = parseAllowlistEntry(value);
  if ('entry' in parsed) return parsed.entry;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

/** TRUSTED_DOCUMENTS: manifest files (comma-separated), read and checked here so a bad one stops the start. */
const trustedDocuments = list.transform((files, ctx) => {
  if (files.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected the path of a manifest (e.g. persisted-documents.json), or several separated by commas' });
    return z.NEVER;
  }
  try {
    return readTrustedDocuments(files);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const oauthCredential = z.string().trim().min(1).max(512);
const oauthIssuer = z.url({ protocol: /^https?$/, error: 'expected an https URL such as https://login.example.com' }).refine((value) => {
  // zod runs refinements after a failed check too.
  const url = URL.canParse(value) ? new URL(value) : null;
  return !!url && (url.protocol === 'https:' || isLoopbackUrl(url)) && !url.search && !url.hash;
}, 'expected an https URL without query (http only for an issuer on this machine)');

/**
 * OAUTH_<ID>_CLIENT_ID and _CLIENT_SECRET turn a provider on (both or neither); Auth0 and `oidc`
 * also need _ISSUER; `oidc` may be named with OAUTH_OIDC_NAME. Returns the problems as config lines.
 */
function oauthProviders(env: Record<string, string | undefined>): { providers: OAuthProviderSettings[]; problems: string[] } {
  const providers: OAuthProviderSettings[] = [];
  const problems: string[] = [];
  for (const id of OAUTH_PROVIDER_IDS) {
    const prefix = `OAUTH_${id.toUpperCase()}_`;
    const fields = ['CLIENT_ID', 'CLIENT_SECRET', 'ISSUER', 'NAME'].map((field) => env[prefix + field]);
    if (fields.every((value) => value === undefined)) continue;
    const [clientId, clientSecret, issuer, name] = fields;
    const needsIssuer = PROVIDERS[id].issuer === null;
    const check = (field: string, schema: z.ZodType<string>, value: string | undefined) => {
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      problems.push(`  ${prefix}${field}: ${value === undefined ? 'required when any ' + prefix + '* is set' : parsed.error.issues[0]!.message}`);
      return null;
    };
    const settings = {
      id,
      clientId: check('CLIENT_ID', oauthCredential, clientId),
      clientSecret: check('CLIENT_SECRET', oauthCredential, clientSecret),
      issuer: needsIssuer ? check('ISSUER', oauthIssuer, issuer) : null,
      name: id === 'oidc' && name !== undefined ? check('NAME', z.string().trim().min(1).max(60), name) : PROVIDERS[id].name,
    };
    if (!needsIssuer && issuer !== undefined) problems.push(`  ${prefix}ISSUER: ${PROVIDERS[id].name}'s issuer is built in; remove this variable`);
    if (settings.clientId && settings.clientSecret && (!needsIssuer || settings.issuer) && settings.name) {
      providers.push(settings as OAuthProviderSettings);
    }
  }
  return { providers, problems };
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(4000),
  DATABASE_URL: databaseUrl.default('data/gatehouse.db'),
  /** PostgreSQL: connections this instance keeps at most (SQLite has one connection). */
  DATABASE_POOL_SIZE: integer(1, 1000).optional(),
  /** Redis for live events, throttling counters and one-time codes shared by several instances. */
  REDIS_URL: redisUrl.optional(),
  /** Prefix of every Redis key and channel: several deployments can share one Redis. */
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and : _ . - only (at most 64)').default('gatehouse:'),
  /** How often an instance without Redis looks for changes made by other instances (maintenance, revoked credentials). */
  SYNC_INTERVAL: duration.default(1000),
  PUBLIC_URL: absoluteUrl.optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'expected an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z.string().min(3).default('Gatehouse <no-reply@localhost>'),
  REQUIRE_EMAIL_CONFIRMATION: bool.default(true),
  CONFIRM_EMAIL_URL: z.string().includes('{token}').optional(),
  RESET_PASSWORD_URL: z.string().includes('{token}').optional(),
  CONFIRM_EMAIL_CHANGE_URL: z.string().includes('{token}').optional(),
  CANCEL_EMAIL_CHANGE_URL: z.string().includes('{token}').optional(),
  EMAIL_CONFIRMATION_TTL: duration.default(24 * 3600_000),
  PASSWORD_RESET_TTL: duration.default(3600_000),
  SESSION_TTL: duration.default(30 * 24 * 3600_000),
  SESSION_IDLE_TTL: duration.default(7 * 24 * 3600_000),
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('gatehouse_session'),
  CORS_ORIGINS: list.pipe(z.array(origin)).default([]),
  TRUST_PROXY: integer(0, 10).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  AUTH_RATE_LIMIT_PER_MINUTE: positiveInt.default(30),
  LOGIN_FAILURES_BEFORE_DELAY: positiveInt.default(5),
  LOGIN_MAX_DELAY: duration.default(15 * 60_000),
  LOGIN_MAX_FAILURES_PER_HOUR: positiveInt.default(100),
  MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  GRAPHIQL: bool.optional(),
  /** The admin console at /admin (console/dist, built by `npm install`). */
  CONSOLE: bool.default(true),
  /** First-run setup token; without it a random one is generated and logged while no user exists. */
  SETUP_TOKEN: z.string().trim().min(16, 'use at least 16 characters (better: a random 32+ character string)').optional(),
  ADMIN_EMAIL: z
    .string()
    .transform(normalizeEmail)
    .superRefine((email, ctx) => {
      const problem = checkEmail(email);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** Only read to create ADMIN_EMAIL's account when it does not exist; never changes an existing password. */
  ADMIN_PASSWORD: z.string().optional(),
  AUDIT_RETENTION_DAYS: integer(1, 36_500).default(365),
  ALLOW_API_TOKENS: bool.default(true),
  ORGANIZATION_CREATION: z.enum(['anyone', 'permission']).default('anyone'),
  INVITATION_TTL: duration.default(7 * 24 * 3600_000),
  INVITATIONS_PER_HOUR: integer(1, 100_000).default(50),
  ACCEPT_INVITATION_URL: z.string().includes('{token}').optional(),
  ALLOW_REGISTRATION_BEFORE_SETUP: bool.default(false),
  /** Check new passwords against breached ones: `hibp` (the Have I Been Pwned range API, k-anonymity). */
  PASSWORD_BREACH_CHECK: z.enum(['off', 'hibp']).default('off'),
  PASSWORD_BREACH_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).default('https://api.pwnedpasswords.com/range/'),
  /** Per client IP: breach lookups that leave the server (cache misses) per minute; past it, RATE_LIMITED. */
  PASSWORD_BREACH_LOOKUPS_PER_MINUTE: integer(1, 100_000).default(60),
  AUTH_BACKEND: z.enum(['session', 'basic']).default('session'),
  BASIC_AUTH_CACHE_TTL: duration.default(60_000),
  OAUTH_REDIRECT_ALLOWLIST: list.pipe(z.array(redirectPrefix)).default([]),
  OAUTH_DEFAULT_REDIRECT: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  /** Where database backups go; default: a `backups` folder beside the database file. */
  BACKUP_DIR: z.string().trim().min(1).optional(),
  MAX_UPLOAD_MB: integer(1, 1_048_576).default(512),
  /** Scheduled backups (e.g. 6h); off when unset. */
  BACKUP_INTERVAL: duration.optional(),
  BACKUP_KEEP: positiveInt.default(7),
  /** Manifests of trusted documents: set, only admins may send documents that are not in them. */
  TRUSTED_DOCUMENTS: trustedDocuments.optional(),
  /** 32 random bytes (base64, base64url or hex) that encrypt second-factor secrets at rest. */
  SECRETS_KEY: secretsKey.optional(),
  /** Where the generated key is kept without SECRETS_KEY; default: secrets.key beside the database file. */
  SECRETS_KEY_FILE: z.string().trim().min(1).optional(),
  /** How long the second-factor step of a sign-in may take. */
  MFA_CHALLENGE_TTL: duration.default(5 * 60_000),
  /** How recent a sign-in (or `reauthenticate`) sensitive operations need. */
  STEP_UP_WINDOW: duration.default(10 * 60_000),
  /** Roles whose holders must set up a second factor; default `admin` in production, none otherwise; `none` for none. */
  MFA_REQUIRED_ROLES: list.transform((roles) => (roles.length === 1 && roles[0] === 'none' ? [] : roles)).optional(),
  /** Email the owner on a sign-in from a browser and network the account has not signed in from. */
  SIGN_IN_NOTICES: bool.default(true),
  /** The issuer authenticator apps show beside the account. */
  TOTP_ISSUER: z.string().trim().min(1).max(64).regex(/^[^:]+$/, 'no ":"').default('Gatehouse'),
  /** Passkeys: the relying party id (a domain, no scheme or port); default the host name of PUBLIC_URL. */
  WEBAUTHN_RP_ID: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'expected a domain such as example.com (no scheme, port or path)')
    .optional(),
  /** Passkeys: the origins a passkey may be used on; default the origin of PUBLIC_URL. */
  WEBAUTHN_ORIGINS: list.pipe(z.array(origin)).optional(),
  WEBAUTHN_RP_NAME: z.string().trim().min(1).max(100).default('Gatehouse'),
  ...OBSERVABILITY_ENV,
  /** Webhooks: how long one delivery attempt may take before it counts as failed. */
  WEBHOOK_TIMEOUT: duration.default(10_000),
  /** Webhooks: how long a delivery is retried (exponential backoff with jitter) before it is marked failed. */
  WEBHOOK_RETRY_PERIOD: duration.default(24 * 3600_000),
  /** Webhooks: how often the dispatcher looks for due deliveries. */
  WEBHOOK_POLL_INTERVAL: duration.default(1000),
  /** Webhooks: attempts in flight at once per instance, and per endpoint. */
  WEBHOOK_CONCURRENCY: integer(1, 1000).default(16),
  WEBHOOK_ENDPOINT_CONCURRENCY: integer(1, 1000).default(4),
  /** Webhooks: how long events and their finished deliveries are kept. */
  WEBHOOK_RETENTION: duration.default(30 * 24 * 3600_000),
});

export type Env = z.input<typeof EnvSchema>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** The SQLite file, or (for PostgreSQL) the database URL as configured. */
  databasePath: string;
  databaseDialect: 'sqlite' | 'postgresql';
  /** PostgreSQL: the most connections this instance's pool opens (DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  /** Shared backends for several instances; null without REDIS_URL. */
  redis: { url: string; keyPrefix: string } | null;
  /** Poll interval for changes made elsewhere (another instance, the command line). */
  syncIntervalMs: number;
  /** Base URL for links in emails. Without PUBLIC_URL it follows the address the server listens on. */
  publicUrl: string;
  publicUrlConfigured: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  requireEmailConfirmation: boolean;
  /** Email link templates with a {token} placeholder; null means the server's own page. */
  links: {
    confirmEmail: string | null;
    resetPassword: string | null;
    confirmEmailChange: string | null;
    cancelEmailChange: string | null;
    acceptInvitation: string | null;
  };
  ttl: { emailConfirmation: number; passwordReset: number; session: number; sessionIdle: number };
  session: { cookieName: string; secureCookie: boolean };
  corsOrigins: string[];
  trustProxyHops: number;
  logLevel: string;
  /** `auto`: human-readable lines on a terminal outside production, JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  throttle: {
    authRequestsPerMinute: number;
    failuresBeforeDelay: number;
    maxDelayMs: number;
    maxFailuresPerHour: number;
  };
  maxBodyBytes: number;
  graphiql: boolean;
  /** CONSOLE: serve the admin console at /admin. */
  console: boolean;
  /** SETUP_TOKEN, or null to generate one at start while no user exists. */
  setupToken: string | null;
  /** ADMIN_EMAIL / ADMIN_PASSWORD: the admin created or ensured at start. */
  admin: { email: string; password: string | null } | null;
  audit: { retentionDays: number };
  /**
   * Organizations: who may create one (ORGANIZATION_CREATION: `anyone` signed in, or holders of
   * `organizations:create`), how long an invitation link works (INVITATION_TTL), and how many
   * invitations one user may send an hour (INVITATIONS_PER_HOUR).
   */
  organizations: { creation: 'anyone' | 'permission'; invitationTtlMs: number; invitationsPerHour: number };
  /** ALLOW_API_TOKENS: personal access tokens can be created and used. */
  allowApiTokens: boolean;
  /** ALLOW_REGISTRATION_BEFORE_SETUP: self-service sign-up (register, OAuth) while no admin exists. */
  allowRegistrationBeforeSetup: boolean;
  /** PASSWORD_BREACH_CHECK / PASSWORD_BREACH_URL: the breached-password check (src/validation/breach.ts). */
  passwordBreach: { mode: 'off' | 'hibp'; url: string; timeoutMs: number; lookupsPerMinute: number };
  /** `session`: cookie, bearer and Basic `__token__`; `basic`: HTTP Basic email + password on every request. */
  authBackend: 'session' | 'basic';
  /** How long verified Basic email + password credentials are remembered (so argon2 is not run per request). */
  basicAuthCacheTtlMs: number;
  /** OAuth / OpenID Connect sign-in: the configured providers and where finished flows may go. */
  oauth: { providers: OAuthProviderSettings[]; redirectAllowlist: string[]; defaultRedirect: string | null };
  /** Database administration (SQLite): backups folder, schedule and retention, upload limit. */
  backup: { dir: string; intervalMs: number | null; keep: number; maxUploadBytes: number };
  /** TRUSTED_DOCUMENTS: the documents non-admins are limited to (sent whole or by hash); null allows any. */
  trustedDocuments: TrustedDocuments | null;
  /** SECRETS_KEY, or the file a generated key is kept in without it. */
  secrets: { key: Buffer | null; keyFile: string };
  /** Second factors: how long a sign-in's second step may take; the TOTP issuer name. */
  mfa: { challengeTtlMs: number; totpIssuer: string; stepUpWindowMs: number; requiredRoles: string[] };
  /** SIGN_IN_NOTICES: email the owner on a sign-in from a new device. */
  signInNotices: boolean;
  /**
   * Passkeys (WebAuthn): null id / empty origins follow PUBLIC_URL, read when used (without
   * PUBLIC_URL its port is known only once the server listens): see `relyingParty`.
   */
  webauthn: { rpId: string | null; origins: string[]; rpName: string };
  /** METRICS_TOKEN: the bearer token of /metrics (src/observability/http.ts); null: no /metrics. */
  metrics: MetricsSettings;
  /** OTEL_EXPORTER_OTLP_*: where traces are exported; null: OpenTelemetry is not even loaded. */
  tracing: TracingSettings | null;
  /** Outgoing webhooks (src/webhooks/): attempt timeout, retry period, dispatcher poll and concurrency. */
  webhooks: { timeoutMs: number; retryPeriodMs: number; pollIntervalMs: number; concurrency: number; endpointConcurrency: number; retentionMs: number };
}

/** The WebAuthn relying party: its id (a domain), the origins passkeys may be used on, its name. */
export function relyingParty(config: Config): { id: string; origins: string[]; name: string } {
  const publicUrl = new URL(config.publicUrl);
  return {
    id: config.webauthn.rpId ?? publicUrl.hostname,
    origins: config.webauthn.origins.length ? config.webauthn.origins : [publicUrl.origin],
    name: config.webauthn.rpName,
  };
}

/** A passkey made for `rpId` works on that domain and its subdomains only (the browser refuses others). */
function originFitsRpId(origin: string, rpId: string): boolean {
  const host = new URL(origin).hostname;
  return host === rpId || host.endsWith(`.${rpId}`);
}

const EMAIL_LINK_PATHS = {
  confirmEmail: '/auth/confirm-email',
  resetPassword: '/auth/reset-password',
  confirmEmailChange: '/auth/confirm-email-change',
  cancelEmailChange: '/auth/cancel-email-change',
  acceptInvitation: '/auth/accept-invitation',
} as const;

/** The link a user receives by email: confirming an address, resetting a password, confirming or cancelling an email change. */
export function emailLink(config: Config, kind: keyof typeof EMAIL_LINK_PATHS, token: string): string {
  const path = EMAIL_LINK_PATHS[kind];
  const template = config.links[kind] ?? `${config.publicUrl}${path}?token={token}`;
  return template.replaceAll('{token}', encodeURIComponent(token));
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses environment variables; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty (or blank) variable means unset, as `.env` templates write `SMTP_URL=`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  const oauth = oauthProviders(cleaned);
  if (!parsed.success || oauth.problems.length) {
    // The variable name alone: CORS_ORIGINS, not CORS_ORIGINS.0 (the bad entry is in the message).
    const lines = (parsed.error?.issues ?? []).map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${[...lines, ...oauth.problems].join('\n')}`);
  }
  const e = parsed.data;
  if (e.ADMIN_PASSWORD !== undefined && e.ADMIN_EMAIL === undefined) {
    throw new ConfigError('Invalid configuration:\n  ADMIN_PASSWORD: set only together with ADMIN_EMAIL');
  }
  const databaseDialect = dialectOf(e.DATABASE_URL);
  const databasePath = databaseDialect === 'postgresql' ? e.DATABASE_URL : e.DATABASE_URL.replace(/^file:(\/\/)?/, '');
  if (databaseDialect === 'postgresql' && e.BACKUP_INTERVAL !== undefined) {
    throw new ConfigError('Invalid configuration:\n  BACKUP_INTERVAL: scheduled backups are for an SQLite file; on PostgreSQL schedule pg_dump instead');
  }
  if (databaseDialect === 'sqlite' && e.DATABASE_POOL_SIZE !== undefined) {
    throw new ConfigError('Invalid configuration:\n  DATABASE_POOL_SIZE: applies to a PostgreSQL DATABASE_URL only (an SQLite file has one connection); remove it');
  }
  const publicUrl = e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`;
  const rpId = e.WEBAUTHN_RP_ID ?? new URL(publicUrl).hostname;
  const strayOrigin = (e.WEBAUTHN_ORIGINS ?? []).find((o) => !originFitsRpId(o, rpId));
  if (strayOrigin) {
    throw new ConfigError(`Invalid configuration:\n  WEBAUTHN_ORIGINS: ${strayOrigin} is not on ${rpId} or a subdomain of it (WEBAUTHN_RP_ID), so no passkey could be used there`);
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databasePath,
    databaseDialect,
    databasePoolSize: e.DATABASE_POOL_SIZE ?? DEFAULT_DATABASE_POOL_SIZE,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : null,
    syncIntervalMs: e.SYNC_INTERVAL,
    publicUrl,
    publicUrlConfigured: e.PUBLIC_URL !== undefined,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    requireEmailConfirmation: e.REQUIRE_EMAIL_CONFIRMATION,
    links: {
      confirmEmail: e.CONFIRM_EMAIL_URL ?? null,
      resetPassword: e.RESET_PASSWORD_URL ?? null,
      confirmEmailChange: e.CONFIRM_EMAIL_CHANGE_URL ?? null,
      cancelEmailChange: e.CANCEL_EMAIL_CHANGE_URL ?? null,
      acceptInvitation: e.ACCEPT_INVITATION_URL ?? null,
    },
    ttl: {
      emailConfirmation: e.EMAIL_CONFIRMATION_TTL,
      passwordReset: e.PASSWORD_RESET_TTL,
      session: e.SESSION_TTL,
      sessionIdle: e.SESSION_IDLE_TTL,
    },
    session: { cookieName: e.SESSION_COOKIE_NAME, secureCookie: publicUrl.startsWith('https://') },
    corsOrigins: e.CORS_ORIGINS,
    trustProxyHops: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    throttle: {
      authRequestsPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
      failuresBeforeDelay: e.LOGIN_FAILURES_BEFORE_DELAY,
      maxDelayMs: e.LOGIN_MAX_DELAY,
      maxFailuresPerHour: e.LOGIN_MAX_FAILURES_PER_HOUR,
    },
    maxBodyBytes: e.MAX_BODY_BYTES,
    graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
    console: e.CONSOLE,
    setupToken: e.SETUP_TOKEN ?? null,
    admin: e.ADMIN_EMAIL === undefined ? null : { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD ?? null },
    audit: { retentionDays: e.AUDIT_RETENTION_DAYS },
    organizations: { creation: e.ORGANIZATION_CREATION, invitationTtlMs: e.INVITATION_TTL, invitationsPerHour: e.INVITATIONS_PER_HOUR },
    allowApiTokens: e.ALLOW_API_TOKENS,
    allowRegistrationBeforeSetup: e.ALLOW_REGISTRATION_BEFORE_SETUP,
    passwordBreach: { mode: e.PASSWORD_BREACH_CHECK, url: e.PASSWORD_BREACH_URL, timeoutMs: 1500, lookupsPerMinute: e.PASSWORD_BREACH_LOOKUPS_PER_MINUTE },
    authBackend: e.AUTH_BACKEND,
    basicAuthCacheTtlMs: e.BASIC_AUTH_CACHE_TTL,
    oauth: { providers: oauth.providers, redirectAllowlist: e.OAUTH_REDIRECT_ALLOWLIST, defaultRedirect: e.OAUTH_DEFAULT_REDIRECT ?? null },
    backup: {
      dir: e.BACKUP_DIR ?? join(databaseDialect === 'sqlite' ? dirname(databasePath) : 'data', 'backups'),
      intervalMs: e.BACKUP_INTERVAL ?? null,
      keep: e.BACKUP_KEEP,
      maxUploadBytes: e.MAX_UPLOAD_MB * 1024 * 1024,
    },
    trustedDocuments: e.TRUSTED_DOCUMENTS ?? null,
    secrets: {
      key: e.SECRETS_KEY ?? null,
      keyFile: e.SECRETS_KEY_FILE ?? join(databaseDialect === 'sqlite' ? dirname(databasePath) : 'data', 'secrets.key'),
    },
    mfa: {
      challengeTtlMs: e.MFA_CHALLENGE_TTL,
      totpIssuer: e.TOTP_ISSUER,
      stepUpWindowMs: e.STEP_UP_WINDOW,
      requiredRoles: e.MFA_REQUIRED_ROLES ?? (e.NODE_ENV === 'production' ? ['admin'] : []),
    },
    signInNotices: e.SIGN_IN_NOTICES,
    webauthn: { rpId: e.WEBAUTHN_RP_ID ?? null, origins: e.WEBAUTHN_ORIGINS ?? [], rpName: e.WEBAUTHN_RP_NAME },
    metrics: metricsSettings(e),
    tracing: tracingSettings(e),
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT,
      retryPeriodMs: e.WEBHOOK_RETRY_PERIOD,
      pollIntervalMs: e.WEBHOOK_POLL_INTERVAL,
      concurrency: e.WEBHOOK_CONCURRENCY,
      endpointConcurrency: e.WEBHOOK_ENDPOINT_CONCURRENCY,
      retentionMs: e.WEBHOOK_RETENTION,
    },
  };
}
