/**
 * Small helpers for manifest bodies: the media type a response declares, the `mediaType` field of a JSON
 * document, lenient JSON parsing, and reading a manifest stream into memory within the 4 MiB registries accept.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../content/descriptor.js';
import { MAX_METADATA_BYTES } from '../content/fetch-bytes.js';
import { AirbundleError } from '../errors.js';
import type { HttpResponse } from './http-client.js';

/** contentType is the media type a response declares, without parameters (none for plain JSON or text). */
export function contentType(res: HttpResponse): string | undefined {
  const value = res.header('content-type')?.split(';')[0]?.trim();
  return value === undefined || value === '' || value === 'application/json' || value === 'text/plain' ? undefined : value;
}

/** mediaTypeField reads the `mediaType` field of a JSON manifest. */
export function mediaTypeField(bytes: Buffer): string | undefined {
  const mt = (parseJson(bytes) as { mediaType?: unknown } | undefined)?.mediaType;
  return typeof mt === 'string' ? mt : undefined;
}

/** parseJson parses JSON bytes, undefined when they are not JSON. */
export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** readSmall reads a manifest body (bounded by its descriptor) into memory. */
export async function readSmall(stream: Readable, desc: Descriptor): Promise<Buffer> {
  if (desc.size > MAX_METADATA_BYTES) {
    stream.destroy();
    throw new AirbundleError('SIZE_MISMATCH', `manifest ${desc.digest} is ${desc.size} bytes, over the 4 MiB registries accept`);
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > desc.size) {
      stream.destroy();
      break;
    }
    parts.push(buf);
  }
  return Buffer.concat(parts);
}
