/**
 * Structured JSON logs (pino). One line per request is logged at `debug`, not `info`: it costs
 * ~7-10 µs of CPU per request (10-15% of the proxy's whole budget, measured in bench/), and the
 * audit log is the authoritative, tamper-evident record of every access. Errors, warnings and
 * lifecycle events are logged at `info` and above. What is logged is chosen at each call site: interaction kinds,
 * resource types, statuses, durations, request ids; never bodies, query values or resource ids,
 * which can be personal data. (No pino `redact`: it costs ~3.5 µs per line, and no call site logs
 * headers or bodies; the operations tests check the log for PHI.)
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config/types.js';

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'custos' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Asynchronous: a slow log reader (a full pipe) must never stall request handling.
    destination ?? pino.destination({ sync: false, minLength: 4096 }),
  );
}
