import { AirbundleError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import { sha256Digest } from './digest.js';
import type { Fetcher } from './storage.js';

/** MAX_METADATA_BYTES bounds what is read into memory: manifests, indexes and configs (4 MiB, as registries do). */
export const MAX_METADATA_BYTES = 4 * 1024 * 1024;

/** fetchBytes reads a small blob (manifest, index, config) into memory and verifies it. */
export async function fetchBytes(fetcher: Fetcher, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  if (desc.size > MAX_METADATA_BYTES) {
    throw new AirbundleError('SIZE_MISMATCH', `${desc.mediaType} ${desc.digest} is ${desc.size} bytes, over the 4 MiB limit for metadata`);
  }
  const stream = await fetcher.fetch(desc, { signal });
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > desc.size) break;
    parts.push(buf);
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length !== desc.size || sha256Digest(bytes) !== desc.digest) {
    throw new AirbundleError('DIGEST_MISMATCH', `${desc.mediaType} ${desc.digest}: content does not match its digest`);
  }
  return bytes;
}

/** fetchJson reads and parses a small JSON blob. */
export async function fetchJson(fetcher: Fetcher, desc: Descriptor, signal?: AbortSignal): Promise<unknown> {
  const bytes = await fetchBytes(fetcher, desc, signal);
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new AirbundleError('BUNDLE_CORRUPT', `${desc.mediaType} ${desc.digest} is not valid JSON`, { cause: err });
  }
}
