/**
 * An `UpstreamBody` over bytes already in memory, for sources that build their answer in process
 * (the legacy CSV source, test doubles) rather than receive it over a socket. It keeps the port's
 * contract: the body is read at most once, by collect or stream, so a caller that reads twice fails
 * here in a unit test instead of getting an empty body from a real socket later. `discard` after a
 * read is a no-op, as it is on the undici source (error paths call it defensively).
 */
import { Readable } from 'node:stream';
import type { UpstreamBody } from '../../fhir/upstream.js';

export function bufferBody(bytes: Buffer): UpstreamBody {
  let taken: 'collect' | 'stream' | 'discard' | undefined;
  const take = (how: NonNullable<typeof taken>): void => {
    // A second read is a bug in the caller: fail loudly instead of handing out an empty body.
    if (taken) throw new Error(`upstream body already taken by ${taken}(); ${how}() is not allowed`);
    taken = how;
  };
  return {
    collect() {
      try {
        take('collect');
      } catch (error) {
        return Promise.reject(error);
      }
      return Promise.resolve(bytes);
    },
    stream() {
      take('stream');
      return Readable.from(bytes.length ? [bytes] : []);
    },
    discard() {
      taken ??= 'discard';
    },
  };
}
