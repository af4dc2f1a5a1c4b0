import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { envSchema } from 'env-schema';
import { type Static, Type } from 'typebox';

export const settingsSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface the HTTP server listens on.' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port.' }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'Postgres server to use. Unset: the embedded database in NEWSDESK_DATA_DIR.',
    }),
  ),
  NEWSDESK_DATA_DIR: Type.String({
    minLength: 1,
    default: './data',
    description: 'Embedded database folder.',
  }),
  DATABASE_READ_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'A read replica for anonymous reads; needs DATABASE_URL (the primary).',
    }),
  ),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  DATABASE_PREPARED_STATEMENTS: Type.Boolean({
    default: true,
    description: 'Prepare queries on the server; false behind PgBouncer in transaction mode (before 1.21).',
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 15000,
    description: 'Longest a query may run on the server engine before it is cancelled (0: no limit).',
  }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 30000,
    description: 'Longest a client may take to send a request (0: no limit).',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 10000,
    description: 'How long a shutdown waits for requests in flight before it exits anyway.',
  }),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({
    minimum: 0,
    default: 1000,
    description: 'Above this event-loop delay, requests get a 503 instead of queueing (0: off).',
  }),
  PUBLIC_BASE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        'Absolute address of this API as clients reach it (links in headers and feeds). Default: http://localhost:<PORT>.',
    }),
  ),
  SITE_TITLE: Type.String({
    minLength: 1,
    default: 'Newsdesk',
    description: 'Name of the site, used as feed title.',
  }),
  ARTICLE_URL_TEMPLATE: Type.Optional(
    Type.String({
      pattern: '^https?://.*\\{(slug|id)\\}',
      description:
        "Where readers find an article, for feed links: {slug} and {id} are filled in. Default: the API's own article URL.",
    }),
  ),
  CORS_READ_ORIGINS: Type.String({
    default: '*',
    description: 'Origins allowed to read from browsers (GET/HEAD): `*` or a comma list.',
  }),
  CORS_WRITE_ORIGINS: Type.String({
    default: '',
    description: 'Origins allowed to write from browsers: a comma list; empty allows none.',
  }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 50 * 1024 * 1024, default: 1024 * 1024 }),
  TRUST_PROXY: Type.String({
    default: 'false',
    description:
      "Behind a load balancer: `true`, a hop count, or the proxies' addresses (comma list), so the client IP (for rate limits and logs) comes from X-Forwarded-For.",
  }),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 600,
    description: 'Requests per minute per IP without a key.',
  }),
  RATE_LIMIT_KEY_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 6000,
    description: 'Requests per minute per API key.',
  }),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description: 'Redis for rate-limit counters shared by every instance.',
    }),
  ),
  REDIS_KEY_PREFIX: Type.String({
    minLength: 1,
    default: 'newsdesk:',
    description: 'Prefix of the keys Newsdesk writes in Redis.',
  }),
  IFRAME_ALLOWED_HOSTS: Type.String({
    default: '',
    description:
      'Hosts whose iframes may stay in article bodies (comma list, e.g. player.bilibili.com); others are removed.',
  }),
  CACHE_MAX_AGE_SECONDS: Type.Integer({
    minimum: 0,
    default: 30,
    description: 'How long shared caches and browsers may reuse a public read (Cache-Control max-age).',
  }),
  CACHE_STALE_WHILE_REVALIDATE_SECONDS: Type.Integer({ minimum: 0, default: 60 }),
  SEED_DEMO_CONTENT: Type.Boolean({
    default: true,
    description: 'Seed demo content into an empty embedded database on start.',
  }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  LOG_FORMAT: Type.Enum(['auto', 'json', 'pretty'], {
    default: 'auto',
    description: 'auto: readable lines on a terminal, JSON lines otherwise.',
  }),
});

type Settings = Static<typeof settingsSchema>;

export interface Config {
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  databaseReadUrl: string | undefined;
  poolMax: number;
  statementTimeoutMs: number;
  preparedStatements: boolean;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  overloadMaxEventLoopDelayMs: number;
  logFormat: 'auto' | 'json' | 'pretty';
  publicBaseUrl: string;
  seedDemoContent: boolean;
  logLevel: string;
  siteTitle: string;
  corsReadOrigins: string[] | '*';
  corsWriteOrigins: string[];
  bodyLimitBytes: number;
  rateLimitAnonymousPerMinute: number;
  rateLimitKeyPerMinute: number;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  iframeHosts: string[];
  cacheMaxAgeSeconds: number;
  trustProxy: boolean | number | string;
  cacheStaleWhileRevalidateSeconds: number;
  /** With `{slug}` and/or `{id}` to fill in. */
  articleUrlTemplate: string;
}

export class ConfigError extends Error {}

/** Settings from `.env` in the working directory; the real environment wins over them. */
function readDotEnv(): Record<string, string> {
  try {
    return parseEnv(readFileSync('.env', 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return /^[0-9]+$/.test(trimmed) ? Number(trimmed) : value.trim();
}

const originList = (value: string) =>
  value
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);

/** Reads settings from the environment (and `.env`), failing with one line that names the bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const merged = env === process.env ? { ...readDotEnv(), ...env } : env;
  // An empty variable (`DATABASE_URL=` in a .env file) means "not set".
  const data = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== ''));
  let settings: Settings;
  try {
    settings = envSchema<Settings>({
      schema: settingsSchema,
      data,
      env: false,
      dotenv: false,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/(^|, )env\//g, '$1');
    throw new ConfigError(`Invalid configuration: ${message}`);
  }
  if (settings.DATABASE_READ_URL && !settings.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: DATABASE_READ_URL needs DATABASE_URL (the primary) too');
  }
  const publicBaseUrl = (settings.PUBLIC_BASE_URL ?? `http://localhost:${settings.PORT}`).replace(/\/+$/, '');
  return {
    host: settings.HOST,
    port: settings.PORT,
    databaseUrl: settings.DATABASE_URL || undefined,
    dataDir: settings.NEWSDESK_DATA_DIR,
    databaseReadUrl: settings.DATABASE_READ_URL || undefined,
    poolMax: settings.DATABASE_POOL_MAX,
    statementTimeoutMs: settings.DATABASE_STATEMENT_TIMEOUT_MS,
    preparedStatements: settings.DATABASE_PREPARED_STATEMENTS,
    requestTimeoutMs: settings.REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: settings.SHUTDOWN_TIMEOUT_MS,
    overloadMaxEventLoopDelayMs: settings.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
    logFormat: settings.LOG_FORMAT,
    publicBaseUrl,
    seedDemoContent: settings.SEED_DEMO_CONTENT,
    siteTitle: settings.SITE_TITLE,
    corsReadOrigins: settings.CORS_READ_ORIGINS.trim() === '*' ? '*' : originList(settings.CORS_READ_ORIGINS),
    corsWriteOrigins: originList(settings.CORS_WRITE_ORIGINS),
    bodyLimitBytes: settings.BODY_LIMIT_BYTES,
    rateLimitAnonymousPerMinute: settings.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    rateLimitKeyPerMinute: settings.RATE_LIMIT_KEY_PER_MINUTE,
    redisUrl: settings.REDIS_URL,
    redisKeyPrefix: settings.REDIS_KEY_PREFIX,
    cacheMaxAgeSeconds: settings.CACHE_MAX_AGE_SECONDS,
    trustProxy: parseTrustProxy(settings.TRUST_PROXY),
    cacheStaleWhileRevalidateSeconds: settings.CACHE_STALE_WHILE_REVALIDATE_SECONDS,
    iframeHosts: settings.IFRAME_ALLOWED_HOSTS.split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
    articleUrlTemplate: settings.ARTICLE_URL_TEMPLATE ?? `${publicBaseUrl}/v1/articles/{slug}`,
    logLevel: settings.LOG_LEVEL,
  };
}
