import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AirbundleError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import type { Digest } from './digest.js';

/** VerifyStreamOptions for {@link verifyStream}. */
export interface VerifyStreamOptions {
  /** Bytes of the blob already verified before this stream (resume); they must be fed to `hash` first. */
  offset?: number;
  /** A hash that already holds the first `offset` bytes. Required when `offset` > 0. */
  hash?: Hash;
  /** What to call the content in error messages (defaults to the digest). */
  name?: string;
}

/**
 * verifyStream returns a pass-through that bounds the content to `desc.size` bytes, hashes it while it
 * flows, and fails at the end on a short read, trailing data or a digest mismatch (oras-go
 * content/reader.go VerifyReader). Nothing downstream should commit content before this stream finishes.
 */
export function verifyStream(desc: Descriptor, options: VerifyStreamOptions = {}): Transform {
  const hash = options.hash ?? createHash('sha256');
  let seen = options.offset ?? 0;
  const name = options.name ?? desc.digest;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > desc.size) {
        cb(
          new AirbundleError('SIZE_MISMATCH', `${name}: more than the expected ${desc.size} bytes`, {
            details: { digest: desc.digest, expected: desc.size },
          }),
        );
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (seen !== desc.size) {
        cb(
          new AirbundleError('SIZE_MISMATCH', `${name}: got ${seen} bytes, expected ${desc.size}`, {
            details: { digest: desc.digest, expected: desc.size, actual: seen },
          }),
        );
        return;
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== desc.digest) {
        cb(
          new AirbundleError('DIGEST_MISMATCH', `${name}: content has digest ${actual}, expected ${desc.digest}`, {
            details: { digest: desc.digest, actual },
          }),
        );
        return;
      }
      cb();
    },
  });
}

/** hashStream returns a pass-through that hashes what flows and reports the digest and size at the end. */
export function hashStream(onDone: (digest: Digest, size: number) => void): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      size += chunk.length;
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      onDone(`sha256:${hash.digest('hex')}` as Digest, size);
      cb();
    },
  });
}
