/**
 * How the PostgreSQL audit store fails: always as CustosError('UNAVAILABLE'), so the gateway fails
 * closed (503, no data served) whatever went wrong underneath. Messages name the database by
 * host, port and name only (never the connection string, which may hold a password) and never
 * repeat PostgreSQL's own message text, whose detail can quote row values.
 */
import { CustosError } from '../../errors.js';

/** `host:port/database` of a connection string, without credentials; a neutral phrase if unparsable. */
export function describeDatabase(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
    return `${url.hostname || 'localhost'}:${url.port || '5432'}/${database}`;
  } catch {
    return 'the configured database';
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Turns whatever `pg` threw into the store's one error, saying what to check. */
export function storeError(error: unknown, where: string, doing: string): CustosError {
  if (error instanceof CustosError) return error;
  const e = error as { code?: unknown; message?: unknown; severity?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const fromServer = typeof e?.severity === 'string' && /^[0-9A-Z]{5}$/.test(code);
  if (fromServer) {
    if (code === '57014') return unavailable(`the audit store (PostgreSQL at ${where}) did not finish ${doing} within the statement timeout; check the database load and locks`, code);
    if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('53')) {
      return unavailable(`the audit store (PostgreSQL at ${where}) dropped or refused the connection while ${doing} (SQLSTATE ${code}); check that the database is up and accepts connections`, code);
    }
    if (code === '28P01' || code === '28000') return unavailable(`the audit store (PostgreSQL at ${where}) refused the credentials (SQLSTATE ${code}); check the user and password of the connection string`, code);
    if (code === '3D000') return unavailable(`the audit store (PostgreSQL at ${where}) has no such database; create it or fix the connection string`, code);
    return unavailable(`the audit store (PostgreSQL at ${where}) rejected ${doing} (SQLSTATE ${code}); check the database logs`, code);
  }
  const timedOut = /timeout/i.test(message);
  const lost = CONNECTION_CODES.has(code) || /terminated|not queryable|connection/i.test(message);
  const what = timedOut ? 'did not answer in time' : lost ? `cannot be reached${code ? ` (${code})` : ''}` : 'failed';
  return new CustosError(
    'UNAVAILABLE',
    `the audit store (PostgreSQL at ${where}) ${what} while ${doing}; check that the database is running and reachable from this gateway`,
    undefined,
    { cause: error },
  );
}

function unavailable(message: string, sqlstate: string): CustosError {
  return new CustosError('UNAVAILABLE', message, { sqlstate });
}
