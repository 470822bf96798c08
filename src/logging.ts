/**
 * Structured JSON logs (pino). What is logged is chosen at each call site: interaction kinds,
 * resource types, statuses, durations, request ids; never bodies, query values or resource ids,
 * which can be personal data. Redaction of header values is a second line of defence.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config/types.js';

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'custos' },
      redact: { paths: ['req.headers', 'headers', '*.authorization', '*.cookie'], remove: true },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ sync: false }),
  );
}
