/**
 * Header hygiene between client and upstream (RFC 9110 §7.6.1, RFC 9112 §9.6).
 *
 * Towards the upstream: hop-by-hop headers and any header named in `Connection` are dropped; the
 * client's Authorization and cookies never leave the gateway (upstream credentials come from
 * configuration); the X-Forwarded-* set, X-Request-Id and W3C trace context are set by us.
 * Towards the client: hop-by-hop headers and upstream cookies are dropped, and Location /
 * Content-Location are rewritten to the gateway's base.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { BaseRewriter } from '../fhir/base-rewriter.js';
import type { RequestContext } from './request-context.js';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
]);

/** Never forwarded upstream: replaced by our own values or private to the client↔gateway hop. */
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP, 'host', 'authorization', 'cookie', 'content-length', 'accept', 'accept-encoding', 'expect',
  'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-prefix',
  'x-real-ip', 'x-request-id', 'traceparent', 'tracestate', 'x-purpose-of-use', 'x-break-glass',
]);

/** Never returned to the client. */
const NOT_RETURNED = new Set([...HOP_BY_HOP, 'content-length', 'content-encoding', 'set-cookie', 'x-request-id']);

/** What the forwarding headers are made of: decided once per request at ingress. */
export type ForwardingFacts = Pick<RequestContext, 'requestId' | 'traceparent' | 'tracestate' | 'clientAddress' | 'forwardedFor' | 'proto' | 'host'>;

export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, facts: ForwardingFacts): Record<string, string> {
  const named = connectionNamed(incoming['connection']);
  const out: Record<string, string> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  out['accept'] = 'application/fhir+json';
  out['accept-encoding'] = 'identity'; // bodies are rewritten on the way back: ask for plain bytes
  out['x-forwarded-for'] = facts.forwardedFor ? `${facts.forwardedFor}, ${facts.clientAddress}` : facts.clientAddress;
  out['x-forwarded-proto'] = facts.proto;
  out['x-forwarded-host'] = facts.host;
  out['x-request-id'] = facts.requestId;
  out['traceparent'] = facts.traceparent;
  if (facts.tracestate) out['tracestate'] = facts.tracestate;
  return out;
}

export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>, rewriter: BaseRewriter): OutgoingHttpHeaders {
  const named = connectionNamed(upstream['connection']);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || NOT_RETURNED.has(name) || named.has(name)) continue;
    out[name] = name === 'location' || name === 'content-location' ? rewriteAll(value, rewriter) : value;
  }
  return out;
}

function rewriteAll(value: string | string[], rewriter: BaseRewriter): string | string[] {
  return Array.isArray(value) ? value.map((v) => rewriter.rewriteUrl(v)) : rewriter.rewriteUrl(value);
}

function connectionNamed(value: string | string[] | undefined): Set<string> {
  // The usual values name no extra header: skip building a set on the hot path.
  if (!value || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive') return EMPTY;
  const text = Array.isArray(value) ? value.join(',') : value;
  return new Set(text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
}

const EMPTY: Set<string> = new Set();
