import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../../config/index.ts';

/**
 * Paths pino removes before a line is written. Request logging never includes bodies, but any code
 * that logs an object with one of these fields loses it here: passwords, tokens, cookies, keys.
 */
export const REDACT_PATHS: readonly string[] = [
  'password', '*.password', 'newPassword', '*.newPassword',
  'token', '*.token', 'secret', '*.secret', 'key', '*.key', 'apiKey', '*.apiKey',
  'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]',
  'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie', 'headers["set-cookie"]',
  'databaseUrl', 'migrationDatabaseUrl', 'jobsDatabaseUrl', 'redisUrl', 'metricsToken', 'databaseListenUrl', 'backupDatabaseUrl',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'parapet' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}

export type { Logger };
