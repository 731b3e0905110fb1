import type { KeyObject } from 'node:crypto';
import { BundleReader } from './bundle/reader.js';
import type { Artifact } from './bundle/manifest.js';
import { parseDigest } from './content/digest.js';
import { walkGraph } from './content/graph.js';
import { readSignatureKeyHint, verifyBundleSignature } from './sign/index.js';
import { errorMessage } from './errors.js';
import type { SignatureStatus } from './verify.js';

/** InspectedArtifact is one artifact with its total size. */
export interface InspectedArtifact extends Artifact {
  /** Bytes of every blob in the artifact's graph (manifest, config, layers). */
  totalSize: number;
  blobs: number;
}

/** InspectReport describes a bundle. */
export interface InspectReport {
  path: string;
  form: string;
  name: string;
  version: string;
  created: string;
  generator: string;
  chunkSize: number;
  signature: SignatureStatus;
  artifacts: InspectedArtifact[];
  totals: { artifacts: number; blobs: number; bytes: number };
  volumes?: Array<{ name: string; size: number }>;
}

/**
 * inspectBundle reads what a bundle holds and where it came from, without reading any blob body beyond
 * manifests. With keys it also checks the signature; without, it names the signing key.
 */
export async function inspectBundle(path: string, keys: KeyObject[] = []): Promise<InspectReport> {
  const reader = await BundleReader.open(path);
  try {
    const m = reader.manifest;
    const sizes = new Map(m.blobs.map((b) => [b.digest, b.size]));
    const artifacts: InspectedArtifact[] = [];
    for (const a of m.artifacts) {
      const nodes = await walkGraph(reader, { ...a.root, digest: parseDigest(a.root.digest) });
      artifacts.push({ ...a, blobs: nodes.length, totalSize: nodes.reduce((n, d) => n + (sizes.get(d.digest) ?? d.size), 0) });
    }
    return {
      path,
      form: reader.form,
      name: m.name,
      version: m.version,
      created: m.created,
      generator: m.generator,
      chunkSize: m.chunkSize,
      signature: signatureStatus(reader, keys),
      artifacts,
      totals: { artifacts: artifacts.length, blobs: m.blobs.length, bytes: m.blobs.reduce((n, b) => n + b.size, 0) },
      ...(reader.volumes !== undefined ? { volumes: reader.volumes.parts.volumes.map((v) => ({ name: v.name, size: v.size })) } : {}),
    };
  } finally {
    await reader.close();
  }
}

function signatureStatus(reader: BundleReader, keys: KeyObject[]): SignatureStatus {
  if (reader.signature === undefined) return { state: 'unsigned' };
  try {
    if (keys.length > 0) return { state: 'verified', keyHint: verifyBundleSignature(reader.signature, reader.manifestBytes, keys).keyHint };
    return { state: 'unchecked', keyHint: readSignatureKeyHint(reader.signature) };
  } catch (err) {
    return { state: 'invalid', message: errorMessage(err) };
  }
}
