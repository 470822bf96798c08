/**
 * Rewrites the upstream's base URL to the gateway's in everything the client sees: Bundle links,
 * `fullUrl`s, absolute references, `implementation.url`, and the Location / Content-Location
 * headers (https://hl7.org/fhir/R4/http.html#general: links are absolute on the server's base).
 *
 * It works on bytes (whole bodies, or a stream through `createTransform`; the pipeline holds answers
 * whole today, to decide on them, and the transform waits for a streaming Bundle filter). A
 * match must end at a URL boundary (`/`, `?`, `#`, `"`, or `\` of an escaped slash), so
 * `http://up/fhir` never rewrites inside `http://up/fhirX`. JSON writers that escape `/` as `\/`
 * are matched in that form too.
 */
import { Transform, type TransformCallback } from 'node:stream';

const EMPTY = Buffer.alloc(0);
const BOUNDARY = new Set([0x2f /* / */, 0x3f /* ? */, 0x23 /* # */, 0x22 /* " */, 0x5c /* \ */]);

export class BaseRewriter {
  private readonly needles: Array<{ from: Buffer; to: Buffer }>;
  private readonly holdBack: number;

  private readonly pairs: ReadonlyArray<readonly [string, string]>;

  /** `more`: other upstream bases and where they are served (type routing: a routed source's own base). */
  constructor(
    readonly upstreamBase: string,
    readonly gatewayBase: string,
    more: ReadonlyArray<readonly [string, string]> = [],
  ) {
    const escape = (s: string) => s.replace(/\//g, '\\/');
    // Longest first: at the same position the longer base wins (`http://h/fhir/docs` over `http://h/fhir`).
    this.pairs = [[upstreamBase, gatewayBase] as const, ...more].sort((a, b) => b[0].length - a[0].length);
    this.needles = this.pairs.flatMap(([from, to]) => [
      { from: Buffer.from(from), to: Buffer.from(to) },
      { from: Buffer.from(escape(from)), to: Buffer.from(escape(to)) },
    ]);
    this.holdBack = Math.max(...this.needles.map((n) => n.from.length)) + 1;
  }

  /** Rewrites one URL (a header value). Relative URLs are relative to the base already and stay. */
  rewriteUrl(url: string): string {
    for (const [from, to] of this.pairs) {
      if (!url.startsWith(from)) continue;
      const next = url.charCodeAt(from.length);
      if (Number.isNaN(next) || BOUNDARY.has(next)) return to + url.slice(from.length);
    }
    return url;
  }

  /** Rewrites a whole body held in memory. */
  rewriteBuffer(body: Buffer): Buffer {
    const { parts, rest } = this.scan(body, true);
    if (parts.length === 1 && rest.length === 0) return parts[0]!;
    return Buffer.concat(rest.length ? [...parts, rest] : parts);
  }

  /** A stream transform for bodies too large (or too unknown) to hold. */
  createTransform(): Transform {
    let carry: Buffer = Buffer.alloc(0);
    return new Transform({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        const { parts, rest } = this.scan(data, false);
        carry = rest;
        done(null, parts.length === 1 ? parts[0] : Buffer.concat(parts));
      },
      flush: (done: TransformCallback) => {
        const { parts } = this.scan(carry, true);
        done(null, Buffer.concat(parts));
      },
    });
  }

  /** Replaces every bounded match; unless `final`, keeps back a tail that could begin a match. */
  private scan(data: Buffer, final: boolean): { parts: Buffer[]; rest: Buffer } {
    const parts: Buffer[] = [];
    let pos = 0;
    let holdFrom = final ? data.length : Math.max(0, data.length - this.holdBack);
    // Where each needle next occurs at or after `pos` (-1: nowhere more). A needle is searched
    // again only once `pos` has passed its last hit, so a needle that never occurs (the escaped
    // form, usually) costs one scan of the body, not one per match of the others.
    const next = this.needles.map((n) => data.indexOf(n.from, 0));
    for (;;) {
      let at = -1;
      let needle = this.needles[0]!;
      for (let i = 0; i < next.length; i++) {
        let found = next[i]!;
        if (found >= 0 && found < pos) next[i] = found = data.indexOf(this.needles[i]!.from, pos);
        if (found >= 0 && (at < 0 || found < at)) {
          at = found;
          needle = this.needles[i]!;
        }
      }
      if (at < 0) break;
      const end = at + needle.from.length;
      if (end >= data.length && !final) {
        holdFrom = at; // cannot see the boundary byte yet
        break;
      }
      if (end >= data.length || BOUNDARY.has(data[end]!)) {
        if (at > pos) parts.push(data.subarray(pos, at));
        parts.push(needle.to);
        pos = end;
      } else {
        parts.push(data.subarray(pos, at + 1));
        pos = at + 1;
      }
    }
    holdFrom = Math.max(holdFrom, pos);
    // Nothing to rewrite (most answers): the same buffer back, no view or copy made.
    if (pos === 0 && holdFrom === data.length) return { parts: [data], rest: EMPTY };
    if (holdFrom > pos) parts.push(data.subarray(pos, holdFrom));
    if (parts.length === 0) parts.push(EMPTY);
    return { parts, rest: final ? EMPTY : data.subarray(holdFrom) };
  }
}
