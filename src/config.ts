// Environment → typed, validated configuration. The only module that reads process.env;
// everything else receives a Config.
import { z } from 'zod';
import { parseDuration } from './util/duration.ts';
import { checkEmail, normalizeEmail } from './accounts/email.ts';

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

/** SQLite only for now: a URL of another scheme (postgres://…) would become a strange file name. */
const databaseUrl = z
  .string()
  .min(1)
  .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^file:/i.test(v), 'expected a SQLite file path or file: URL');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(4000),
  DATABASE_URL: databaseUrl.default('data/gatehouse.db'),
  PUBLIC_URL: absoluteUrl.optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'expected an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z.string().min(3).default('Gatehouse <no-reply@localhost>'),
  REQUIRE_EMAIL_CONFIRMATION: bool.default(true),
  CONFIRM_EMAIL_URL: z.string().includes('{token}').optional(),
  RESET_PASSWORD_URL: z.string().includes('{token}').optional(),
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
  AUTH_RATE_LIMIT_PER_MINUTE: positiveInt.default(30),
  LOGIN_FAILURES_BEFORE_DELAY: positiveInt.default(5),
  LOGIN_MAX_DELAY: duration.default(15 * 60_000),
  LOGIN_MAX_FAILURES_PER_HOUR: positiveInt.default(100),
  MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  GRAPHIQL: bool.optional(),
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
  AUTH_BACKEND: z.enum(['session', 'basic']).default('session'),
  BASIC_AUTH_CACHE_TTL: duration.default(60_000),
});

export type Env = z.input<typeof EnvSchema>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  databasePath: string;
  /** Base URL for links in emails. Without PUBLIC_URL it follows the address the server listens on. */
  publicUrl: string;
  publicUrlConfigured: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  requireEmailConfirmation: boolean;
  /** Email link templates with a {token} placeholder; null means the server's own page. */
  links: { confirmEmail: string | null; resetPassword: string | null };
  ttl: { emailConfirmation: number; passwordReset: number; session: number; sessionIdle: number };
  session: { cookieName: string; secureCookie: boolean };
  corsOrigins: string[];
  trustProxyHops: number;
  logLevel: string;
  throttle: {
    authRequestsPerMinute: number;
    failuresBeforeDelay: number;
    maxDelayMs: number;
    maxFailuresPerHour: number;
  };
  maxBodyBytes: number;
  graphiql: boolean;
  /** SETUP_TOKEN, or null to generate one at start while no user exists. */
  setupToken: string | null;
  /** ADMIN_EMAIL / ADMIN_PASSWORD: the admin created or ensured at start. */
  admin: { email: string; password: string | null } | null;
  audit: { retentionDays: number };
  /** ALLOW_API_TOKENS: personal access tokens can be created and used. */
  allowApiTokens: boolean;
  /** `session`: cookie, bearer and Basic `__token__`; `basic`: HTTP Basic email + password on every request. */
  authBackend: 'session' | 'basic';
  /** How long verified Basic email + password credentials are remembered (so argon2 is not run per request). */
  basicAuthCacheTtlMs: number;
}

/** The link a user receives by email for confirming their address or resetting their password. */
export function emailLink(config: Config, kind: 'confirmEmail' | 'resetPassword', token: string): string {
  const path = kind === 'confirmEmail' ? '/auth/confirm-email' : '/auth/reset-password';
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
  if (!parsed.success) {
    // The variable name alone: CORS_ORIGINS, not CORS_ORIGINS.0 (the bad entry is in the message).
    const lines = parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.ADMIN_PASSWORD !== undefined && e.ADMIN_EMAIL === undefined) {
    throw new ConfigError('Invalid configuration:\n  ADMIN_PASSWORD: set only together with ADMIN_EMAIL');
  }
  const publicUrl = e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`;
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databasePath: e.DATABASE_URL.replace(/^file:(\/\/)?/, ''),
    publicUrl,
    publicUrlConfigured: e.PUBLIC_URL !== undefined,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    requireEmailConfirmation: e.REQUIRE_EMAIL_CONFIRMATION,
    links: {
      confirmEmail: e.CONFIRM_EMAIL_URL ?? null,
      resetPassword: e.RESET_PASSWORD_URL ?? null,
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
    throttle: {
      authRequestsPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
      failuresBeforeDelay: e.LOGIN_FAILURES_BEFORE_DELAY,
      maxDelayMs: e.LOGIN_MAX_DELAY,
      maxFailuresPerHour: e.LOGIN_MAX_FAILURES_PER_HOUR,
    },
    maxBodyBytes: e.MAX_BODY_BYTES,
    graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
    setupToken: e.SETUP_TOKEN ?? null,
    admin: e.ADMIN_EMAIL === undefined ? null : { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD ?? null },
    audit: { retentionDays: e.AUDIT_RETENTION_DAYS },
    allowApiTokens: e.ALLOW_API_TOKENS,
    authBackend: e.AUTH_BACKEND,
    basicAuthCacheTtlMs: e.BASIC_AUTH_CACHE_TTL,
  };
}
