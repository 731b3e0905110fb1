/**
 * Media types the registry client needs to know: which descriptors are manifests (pushed and fetched under
 * `/manifests/`) and what to put in `Accept` so that a registry answers with any kind of manifest or index.
 * The constants themselves live with the format, in bundle/layout.ts.
 */
import { MT_DOCKER_LIST, MT_DOCKER_MANIFEST, MT_OCI_INDEX, MT_OCI_MANIFEST, isManifestMediaType } from '../bundle/layout.js';

export { isManifestMediaType };

/** MANIFEST_MEDIA_TYPES are the manifest and index types a registry may return. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST, MT_DOCKER_LIST];

/** manifestAccept is the Accept header for a manifest request, preferring `preferred` when given. */
export function manifestAccept(preferred?: string): string {
  const types = preferred !== undefined && !MANIFEST_MEDIA_TYPES.includes(preferred) ? [preferred, ...MANIFEST_MEDIA_TYPES] : MANIFEST_MEDIA_TYPES;
  return types.join(', ');
}

/** isDockerManifestMediaType tells whether a type is a Docker schema 2 manifest or manifest list. */
export function isDockerManifestMediaType(mediaType: string): boolean {
  return mediaType === MT_DOCKER_MANIFEST || mediaType === MT_DOCKER_LIST;
}
