/**
 * Zot accepts only OCI manifests and indexes by default; Docker schema 2 manifests need `http.compat:
 * ["docker2s2"]` (zot ≥ v2.1.2). A push of a Docker manifest that such a registry refuses gets this explanation
 * instead of a bare MANIFEST_INVALID. Zot is recognised by the missing `Docker-Distribution-Api-Version` header
 * (distribution and Harbor send it on every response; zot only on `/v2/`), a `Server` header, or the error text.
 * Reference: project-zot/zot pkg/compat/compat.go and examples/config-docker-compat.json.
 */
import type { RegistryErrorEntry } from './errcode.js';
import type { HttpResponse } from './http-client.js';
import { isDockerManifestMediaType } from './media-types.js';

/** zotExplanation says what to do when a registry that looks like Zot rejects a Docker manifest. */
export function zotExplanation(mediaType: string, status: number, errors: RegistryErrorEntry[], res: HttpResponse): string | undefined {
  if (!isDockerManifestMediaType(mediaType) || (status !== 400 && status !== 415)) return undefined;
  const codes = errors.map((e) => e.code);
  if (status === 400 && !codes.some((c) => c === 'MANIFEST_INVALID' || c === 'UNSUPPORTED')) return undefined;
  const looksLikeZot =
    res.header('docker-distribution-api-version') === undefined ||
    /zot/i.test(res.header('server') ?? '') ||
    errors.some((e) => /zot|media ?type/i.test(`${e.message} ${JSON.stringify(e.detail ?? '')}`));
  const how = 'enable Docker manifests in its config with "http": {"compat": ["docker2s2"]} (zot v2.1.2 or later), or convert the image to OCI';
  return looksLikeZot
    ? `This looks like Zot, which accepts only OCI manifests by default: ${how}`
    : `The registry rejected a Docker schema 2 manifest (${mediaType}); if it is Zot, ${how}`;
}
