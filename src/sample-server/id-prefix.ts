/**
 * Gives every synthetic resource id (and every literal reference to one) a prefix, so a second
 * sample server holds the same people under different ids, as two hospitals' servers do: the
 * patients keep their MRNs, which is what identity across sources is tested on.
 */
import type { Resource } from '@medplum/fhirtypes';

const LITERAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

export function prefixIds(resources: readonly Resource[], prefix: string): Resource[] {
  if (!/^[A-Za-z0-9\-.]{1,16}$/.test(prefix)) throw new RangeError('idPrefix must be 1-16 characters of A-Z, a-z, 0-9, - and .');
  return resources.map((resource) => {
    const copy = rewrite(resource, prefix) as Resource;
    if (copy.id) copy.id = prefix + copy.id;
    return copy;
  });
}

function rewrite(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, prefix));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const match = key === 'reference' && typeof v === 'string' ? LITERAL.exec(v) : null;
    out[key] = match ? `${match[1]}/${prefix}${match[2]}` : rewrite(v, prefix);
  }
  return out;
}
