/**
 * pump moves a request body from a stream factory's stream onto the socket: exactly the announced length,
 * respecting backpressure, and stopping as soon as the server has answered (a 401 or 413 before the end).
 */
import type { ClientRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { AirbundleError } from '../errors.js';

/**
 * pump writes exactly `length` bytes of `source` into the request, respecting backpressure, and stops as soon as a
 * response has arrived. A source that fails or is shorter or longer than announced fails the request with that error.
 */
export async function pump(
  source: Readable,
  length: number,
  url: URL,
  onBytes: ((n: number) => void) | undefined,
  request: ClientRequest,
  answered: () => boolean,
  onBodyError: (err: unknown) => void,
): Promise<void> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let sent = 0;
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await it.next();
    } catch (err) {
      onBodyError(err);
      return;
    }
    if (next.done === true) break;
    if (answered() || request.destroyed) {
      source.destroy();
      return;
    }
    const chunk = next.value;
    sent += chunk.length;
    if (sent > length) {
      source.destroy();
      onBodyError(new AirbundleError('SIZE_MISMATCH', `request body for ${url.pathname} is longer than the ${length} bytes announced`));
      return;
    }
    onBytes?.(chunk.length);
    if (!request.write(chunk) && !(await drained(request))) {
      source.destroy();
      return;
    }
  }
  if (sent !== length && !answered()) {
    onBodyError(new AirbundleError('SIZE_MISMATCH', `request body for ${url.pathname} ended after ${sent} of ${length} bytes`));
    return;
  }
  request.end();
}

/** drained resolves true when the request can take more data, false when it closed or failed first. */
function drained(request: ClientRequest): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => (): void => {
      request.off('drain', onDrain);
      request.off('close', onClose);
      request.off('error', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    request.once('drain', onDrain);
    request.once('close', onClose);
    request.once('error', onClose);
  });
}
