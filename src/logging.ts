import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';

/**
 * Paths pino replaces with "[redacted]" wherever a log call passes them: request headers that carry
 * keys, and key secrets. The default request serialiser logs no headers; this guards custom log calls.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'secret',
  '*.secret',
  'apiKey',
];

export function usePrettyLogs(config: Pick<Config, 'logFormat'>, stream: { isTTY?: boolean }): boolean {
  return config.logFormat === 'pretty' || (config.logFormat === 'auto' && stream.isTTY === true);
}

/** JSON lines for collectors; readable lines (pino-pretty) when a person watches a terminal. */
export function loggerOptions(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  stream: { isTTY?: boolean } = process.stdout,
): Exclude<NonNullable<FastifyServerOptions['logger']>, boolean> {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(usePrettyLogs(config, stream)
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
}
