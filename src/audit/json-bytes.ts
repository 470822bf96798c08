/**
 * Writes JSON text straight into bytes, for the one document built on every request (the audit
 * event). Building it as a string and encoding it cost a rope of ~60 pieces, its flattening and a
 * UTF-8 pass per request; here constant parts are copied as bytes and strings are escaped exactly
 * as `JSON.stringify` escapes them (which RFC 8785 §3.2.2.2 adopts), with a fast path for the plain
 * ASCII that ids, codes and references are made of.
 *
 * One scratch buffer is reused (the request path is single-threaded and a document is taken
 * before the next one starts); `take` copies the result out.
 */
const INITIAL = 16 * 1024;

export class JsonBytes {
  private buf = Buffer.allocUnsafe(INITIAL);
  private at = 0;

  /** Starts a document; `prefix` bytes (e.g. the 0x00 of an RFC 9162 leaf) come first. */
  begin(prefix?: number): this {
    this.at = 0;
    if (prefix !== undefined) this.buf[this.at++] = prefix;
    return this;
  }

  /** Text known to be ASCII JSON already (constant keys, punctuation, codings written once). */
  raw(ascii: string): this {
    this.room(ascii.length);
    this.at = copyAscii(this.buf, this.at, ascii);
    return this;
  }

  /** Bytes written earlier: constant parts encoded once (`ascii`), memoised fragments. */
  bytes(bytes: Uint8Array): this {
    this.room(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
    return this;
  }

  /** A JSON string literal, escaped as `JSON.stringify` escapes it. */
  str(value: string): this {
    if (isPlainAscii(value)) {
      this.room(value.length + 2);
      const buf = this.buf;
      buf[this.at++] = 0x22;
      this.at = copyAscii(buf, this.at, value);
      buf[this.at++] = 0x22;
      return this;
    }
    const literal = JSON.stringify(value);
    this.room(Buffer.byteLength(literal, 'utf8'));
    this.at += this.buf.write(literal, this.at, 'utf8');
    return this;
  }

  /** The document so far, copied out (the scratch buffer is reused). */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.at);
    this.buf.copy(out, 0, 0, this.at);
    return out;
  }

  private room(more: number): void {
    if (this.at + more <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + more));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

/** Short strings by hand (Buffer#write's argument handling costs more than the copy); long ones natively. */
function copyAscii(buf: Buffer, at: number, text: string): number {
  const n = text.length;
  if (n > 96) return at + buf.write(text, at, 'latin1');
  for (let i = 0; i < n; i++) buf[at + i] = text.charCodeAt(i);
  return at + n;
}

/** Printable ASCII without `"` and `\`: written as is inside quotes. */
function isPlainAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** A constant part, encoded once at load (copied with `bytes`, much cheaper than per-character). */
export function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
