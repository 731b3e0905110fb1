export { Authenticator, repositoryScope } from './auth.js';
export type { AuthenticatorOptions, Scope } from './auth.js';
export { DEFAULT_CHUNK_SIZE } from './blob-upload.js';
export type { UploadMode, UploadOptions, UploadOutcome } from './blob-upload.js';
export { parseChallenge } from './challenge.js';
export type { Challenge } from './challenge.js';
export { chainCredentials, dockerConfigCredentials, staticCredentials } from './credentials.js';
export type { Credential, CredentialProvider, DockerConfigOptions } from './credentials.js';
export type { RegistryErrorEntry } from './errcode.js';
export { HttpClient, HttpResponse } from './http-client.js';
export type { HttpClientOptions, HttpMethod, HttpRequest, RequestBody, StreamBody } from './http-client.js';
export { MANIFEST_MEDIA_TYPES, manifestAccept } from './media-types.js';
export { isMounter } from './mounter.js';
export type { Mounter } from './mounter.js';
export { hostPort } from './network-error.js';
export {
  DOCKER_HUB,
  DOCKER_HUB_API_HOST,
  apiHost,
  assertRepositoryName,
  formatReference,
  isRegistryHost,
  isTag,
  parseReference,
} from './reference.js';
export type { ParseReferenceOptions, Reference } from './reference.js';
export { referrersTag } from './referrers.js';
export { Registry, openRepository } from './registry.js';
export type { RegistryCallOptions, RegistryOptions } from './registry.js';
export { Repository } from './repository.js';
export type { BlobPushOptions, FetchedManifest, RepositoryOptions, SignalOptions } from './repository.js';
export { RetryPolicy, isTransient, parseRetryAfter, retryableNetworkError, retryableStatus, withRetry } from './retry.js';
export type { RetryContext, RetryOptions } from './retry.js';
