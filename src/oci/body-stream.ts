/**
 * bodyStream wraps a blob response body so that the caller gets exactly the bytes it asked for: the first `skip`
 * bytes are dropped (a registry that ignored `Range` and sent the whole blob), a body that ends early or breaks
 * fails with REGISTRY_UNREACHABLE marked transient (the caller can fetch again from the offset it reached), and a
 * body that runs long fails with SIZE_MISMATCH. Digests are the caller's business (verifyStream).
 */
import { Readable } from 'node:stream';
import { AirbundleError, isAirbundleError } from '../errors.js';
import { hostPort } from './network-error.js';
import { transientDetails } from './retry.js';

/** bodyStream yields exactly `expected` bytes of `body` after skipping `skip`, or fails. */
export function bodyStream(body: Readable, url: URL, expected: number, skip: number, what: string): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    let toSkip = skip;
    let seen = 0;
    try {
      for await (const chunk of body) {
        let buf = chunk as Buffer;
        if (toSkip > 0) {
          const dropped = Math.min(toSkip, buf.length);
          toSkip -= dropped;
          buf = buf.subarray(dropped);
          if (buf.length === 0) continue;
        }
        seen += buf.length;
        if (seen > expected) throw new AirbundleError('SIZE_MISMATCH', `${what}: the registry sent more than the expected ${expected} bytes`);
        yield buf;
      }
    } catch (err) {
      if (isAirbundleError(err)) throw err;
      throw lost(url, what, seen, expected, err);
    }
    if (seen < expected) throw lost(url, what, seen, expected, undefined);
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: 1024 * 1024 });
}

function lost(url: URL, what: string, seen: number, expected: number, cause: unknown): AirbundleError {
  return new AirbundleError('REGISTRY_UNREACHABLE', `${what}: connection to ${hostPort(url)} lost after ${seen} of ${expected} bytes`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'fetch again from the offset reached; the bytes so far are good',
    details: { host: hostPort(url), received: seen, expected, ...transientDetails() },
  });
}
