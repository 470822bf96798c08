/**
 * Per-request facts decided at ingress: the request id (accepted from the client when sane,
 * otherwise generated, always echoed), the W3C trace context (https://www.w3.org/TR/trace-context/)
 * and the gateway's public base URL used for every link the client sees.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { InteractionKind } from '../fhir/interaction.js';
import type { Actor } from '../policy/identity/actor.js';
import type { RequestAccess } from '../policy/request-access.js';

/** Span ids: a random per-process prefix and a counter; unique without a CSPRNG call per request. */
const SPAN_PREFIX = randomBytes(4).toString('hex');
let spanCounter = 0;
function nextSpanId(): string {
  spanCounter = (spanCounter + 1) >>> 0;
  return SPAN_PREFIX + spanCounter.toString(16).padStart(8, '0');
}
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { CustosError } from '../errors.js';

const REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const HOST = /^[A-Za-z0-9.\-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?$/;

export interface RequestContext {
  readonly requestId: string;
  readonly traceId: string;
  /** The traceparent we send upstream: same trace, our own span id. */
  readonly traceparent: string;
  readonly tracestate?: string;
  readonly clientAddress: string;
  readonly forwardedFor?: string;
  readonly proto: string;
  readonly host: string;
  readonly startedAt: bigint;
  /** Set when the client closed the connection before the answer was complete. */
  clientGone?: boolean;
  /** Set once the request is classified, so even a refused request is logged and audited with what it asked. */
  interaction?: { readonly kind: InteractionKind; readonly resourceType?: string; readonly operation?: string };
  /** The path below the FHIR base and the raw query, for the audit event's query entity. */
  path?: string;
  rawQuery?: string;
  /** Who is calling, once authenticated. */
  actor?: Actor;
  /** The `X-Break-Glass` reason, when the caller asked for emergency access. */
  breakGlassReason?: string;
  /** The request's access decisions, once authenticated (what the audit event will record). */
  access?: RequestAccess;
  /** Set when the client asked for FHIR XML (answers and errors are converted on the way out). */
  xml?: boolean;
}

export interface ContextOptions {
  readonly trustProxy: boolean;
  readonly publicUrl: string | null;
}

/** The client's X-Request-ID when it is sane (echoed and logged as is), else undefined. */
export function saneRequestId(given: unknown): string | undefined {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : undefined;
}

export function createRequestContext(req: IncomingMessage, options: ContextOptions): RequestContext {
  const given = req.headers['x-request-id'];
  // randomUUID draws from a batched entropy cache, unlike randomBytes (a CSPRNG call each time).
  const generated = randomUUID();
  const requestId = saneRequestId(given) ?? generated;
  const parsed = TRACEPARENT.exec(String(req.headers['traceparent'] ?? '').trim());
  const valid = parsed && parsed[1] !== 'ff' && !/^0+$/.test(parsed[2]!) && !/^0+$/.test(parsed[3]!);
  const traceId = valid ? parsed[2]! : withoutDashes(generated);
  const flags = valid ? parsed[4]! : '01';
  const tracestate = valid && typeof req.headers['tracestate'] === 'string' ? req.headers['tracestate'] : undefined;

  const trusted = options.trustProxy;
  const fwdProto = trusted ? firstValue(req.headers['x-forwarded-proto']) : undefined;
  const fwdHost = trusted ? firstValue(req.headers['x-forwarded-host']) : undefined;
  const forwardedFor = trusted ? headerText(req.headers['x-forwarded-for']) : undefined;
  const proto = fwdProto === 'https' || fwdProto === 'http' ? fwdProto : (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const host = fwdHost ?? req.headers.host ?? '';
  if (!options.publicUrl && !HOST.test(host)) {
    throw new CustosError('INVALID_REQUEST', 'the Host header is missing or malformed');
  }
  return {
    requestId,
    traceId,
    traceparent: `00-${traceId}-${nextSpanId()}-${flags}`,
    ...(tracestate ? { tracestate } : {}),
    clientAddress: req.socket.remoteAddress ?? 'unknown',
    ...(forwardedFor ? { forwardedFor } : {}),
    proto,
    host,
    startedAt: process.hrtime.bigint(),
  };
}

/** For a request refused before its context could be built (e.g. a malformed Host): enough to audit it. */
export function fallbackContext(req: IncomingMessage): RequestContext {
  const id = randomUUID();
  const traceId = withoutDashes(id);
  return { requestId: id, traceId, traceparent: `00-${traceId}-${nextSpanId()}-01`, clientAddress: req.socket.remoteAddress ?? 'unknown', proto: 'http', host: '', startedAt: process.hrtime.bigint() };
}

/** The origin clients must see: the configured public URL, or what the request was addressed to. */
export function publicOrigin(context: RequestContext, options: ContextOptions): string {
  return options.publicUrl ? options.publicUrl.replace(/\/+$/, '') : `${context.proto}://${context.host}`;
}

/** A UUID's 32 hex digits, a valid random W3C trace id. */
function withoutDashes(uuid: string): string {
  return uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const text = headerText(value);
  return text?.split(',')[0]?.trim() || undefined;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The client's address as its audit event (and the unauthenticated-request limit) names it. Behind
 * the trusted proxy it is the last X-Forwarded-For hop, the one that proxy appended: earlier hops
 * are whatever the client chose to send, and trusting them would let anyone pick the address
 * written into the log (and a fresh rate-limit bucket per request).
 */
export function auditedAddress(context: RequestContext): string {
  const hops = context.forwardedFor?.split(',');
  return hops?.[hops.length - 1]?.trim() || context.clientAddress;
}
