import type { Digest } from './digest.js';
import { sha256Digest } from './digest.js';

/**
 * Descriptor addresses content everywhere: media type, digest and size, as in the OCI image spec.
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/descriptor.md
 */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
  urls?: string[];
}

/** Platform of an image manifest inside an index. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** descriptorFor builds the descriptor of bytes held in memory (manifests, configs). */
export function descriptorFor(mediaType: string, bytes: Uint8Array): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.byteLength };
}

/** plainDescriptor strips everything but media type, digest, size (and artifactType) for use as a key. */
export function plainDescriptor(desc: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  if (desc.artifactType !== undefined) out.artifactType = desc.artifactType;
  return out;
}
