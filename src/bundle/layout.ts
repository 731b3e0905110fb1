/**
 * Every file name, directory and media type of the bundle format lives here (DESIGN §4).
 * Reference: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md
 */
export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const BUNDLE_MANIFEST_FILE = 'bundle.json';
export const BUNDLE_SIGNATURE_FILE = 'bundle.sig';
export const BLOBS_DIR = 'blobs/sha256';
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';

/** Order of the metadata entries at the head of a bundle tar. Blobs follow. */
export const HEAD_ENTRIES = [OCI_LAYOUT_FILE, BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE, INDEX_FILE] as const;

/** Suffix of the volume list written beside volumes: `b.tar.zst.parts.json`. */
export const PARTS_SUFFIX = '.parts.json';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.airbundle.bundle.v1+json';
export const BUNDLE_SCHEMA_VERSION = 1;
/** Default chunk size for chunk digests: 64 MiB. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;
/** Fixed mtime for every tar entry (reproducible bytes): 2000-01-01T00:00:00Z. */
export const TAR_MTIME = new Date('2000-01-01T00:00:00Z');

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_TITLE = 'org.opencontainers.image.title';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
export const ANNOTATION_SOURCE = 'org.opencontainers.image.source';
export const ANNOTATION_REVISION = 'org.opencontainers.image.revision';
export const ANNOTATION_MODEL_FILEPATH = 'org.cncf.model.filepath';
export const ANNOTATION_MODEL_FILE_METADATA = 'org.cncf.model.file.metadata+json';
export const ANNOTATION_MODEL_MEDIATYPE_UNTESTED = 'org.cncf.model.file.mediatype.untested';
export const ANNOTATION_ARTIFACT_KIND = 'dev.airbundle.artifact.kind';
export const ANNOTATION_ARTIFACT_NAME = 'dev.airbundle.artifact.name';

export const MT_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MT_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MT_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MT_OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const MT_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MT_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** CNCF ModelPack media types. Reference: https://github.com/modelpack/model-spec/blob/main/docs/spec.md */
export const MT_MODEL_ARTIFACT = 'application/vnd.cncf.model.manifest.v1+json';
export const MT_MODEL_CONFIG = 'application/vnd.cncf.model.config.v1+json';
export const MT_MODEL_WEIGHT_RAW = 'application/vnd.cncf.model.weight.v1.raw';
export const MT_MODEL_WEIGHT_CONFIG_RAW = 'application/vnd.cncf.model.weight.config.v1.raw';
export const MT_MODEL_DOC_RAW = 'application/vnd.cncf.model.doc.v1.raw';
export const MT_MODEL_CODE_RAW = 'application/vnd.cncf.model.code.v1.raw';
export const MT_MODEL_DATASET_RAW = 'application/vnd.cncf.model.dataset.v1.raw';

/** isManifestMediaType tells whether a media type is an image manifest or index (has children). */
export function isManifestMediaType(mediaType: string): boolean {
  return (
    mediaType === MT_OCI_MANIFEST ||
    mediaType === MT_OCI_INDEX ||
    mediaType === MT_DOCKER_MANIFEST ||
    mediaType === MT_DOCKER_LIST
  );
}

/** isIndexMediaType tells whether a media type is an image index or a Docker manifest list. */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MT_OCI_INDEX || mediaType === MT_DOCKER_LIST;
}
