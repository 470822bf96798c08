/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): one byte sequence per JSON value, so anyone can
 * recompute a hash (a Consent's policy hash here, an audit event's leaf hash later).
 *
 * - object members sorted by their names' UTF-16 code units (§3.2.3), no whitespace;
 * - strings serialised as ECMAScript JSON.stringify does (§3.2.2.2);
 * - numbers serialised as ECMAScript Number.prototype.toString (§3.2.2.3), which JSON.stringify
 *   uses; non-finite numbers are not JSON and are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot encode a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map((item) => canonicalJson(item === undefined ? null : item)).join(',') + ']';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    // Default sort compares UTF-16 code units, exactly what §3.2.3 asks for.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJson(v)).join(',') + '}';
  }
  throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
}
