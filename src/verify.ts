import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { walkArtifact, type ArtifactGraph } from './bundle/artifact-graph.js';
import { BundleReader, type PhysicalLocation } from './bundle/reader.js';
import { ANNOTATION_REF_NAME } from './bundle/layout.js';
import { createLimiter } from './content/copy-graph.js';
import type { Descriptor } from './content/descriptor.js';
import { parseDigest, sha256Digest } from './content/digest.js';
import { AirbundleError, errorMessage, isAirbundleError } from './errors.js';
import { noProgress, type ProgressSink } from './progress/events.js';
import { readSignatureKeyHint, verifyBundleSignature } from './sign/index.js';

/** SignatureStatus says what is known of bundle.sig. */
export type SignatureStatus =
  | { state: 'verified'; keyHint: string }
  | { state: 'unchecked'; keyHint: string }
  | { state: 'unsigned' }
  | { state: 'invalid'; message: string };

/** VerifyProblem is one thing found wrong, with where it is. */
export interface VerifyProblem {
  code: string;
  message: string;
  artifact?: string;
  blob?: string;
  chunk?: number;
  location?: PhysicalLocation;
}

/** VerifyReport is the outcome of {@link verifyBundle}. */
export interface VerifyReport {
  path: string;
  form: string;
  valid: boolean;
  signature: SignatureStatus;
  blobs: number;
  chunks: number;
  bytes: number;
  problems: VerifyProblem[];
}

/** VerifyOptions for {@link verifyBundle}. */
export interface VerifyOptions {
  /** Trusted public keys; with any given, the bundle must be signed by one of them. */
  keys?: KeyObject[];
  /** How many chunks are hashed at once (default 4). */
  concurrency?: number;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/**
 * verifyBundle checks a bundle offline: the signature (when keys are given or the bundle is signed), that
 * index.json agrees with bundle.json, that every listed blob is present, that every descriptor of every
 * artifact's graph points at a blob the bundle holds and lists, and the sha256 of every chunk of every blob.
 * It reports every problem found rather than stopping at the first. Unreadable input throws.
 */
export async function verifyBundle(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const onEvent = options.onEvent ?? noProgress;
  const reader = await BundleReader.open(path);
  try {
    const problems: VerifyProblem[] = [];
    const signature = checkSignature(reader, options.keys ?? [], problems);
    checkIndex(reader, problems);
    for (const name of reader.volumes?.damaged ?? []) {
      problems.push({ code: 'VOLUME_MISMATCH', message: `volume ${name}: its first 64 KiB differ from the parts list (damaged, or from another bundle)`, location: { file: name, offset: 0 } });
    }
    const graphs = await Promise.all(reader.manifest.artifacts.map((a) => walkArtifact(reader, a, options.signal)));
    const { chunks, bytes } = await checkBlobs(reader, blobOwners(graphs), options, onEvent, problems);
    // What the graphs found that the blob checks did not already say (a dangling descriptor, a manifest too big).
    const said = new Set(problems.map((p) => `${p.code} ${p.blob ?? ''}`));
    for (const g of graphs) {
      for (const p of g.problems) if (!said.has(`${p.code} ${p.blob}`)) problems.push({ code: p.code, message: p.message, artifact: p.artifact, blob: p.blob });
    }
    return {
      path,
      form: reader.form,
      valid: problems.length === 0,
      signature,
      blobs: reader.manifest.blobs.length,
      chunks,
      bytes,
      problems,
    };
  } finally {
    await reader.close();
  }
}

function checkSignature(reader: BundleReader, keys: KeyObject[], problems: VerifyProblem[]): SignatureStatus {
  if (reader.signature === undefined) {
    if (keys.length > 0) {
      problems.push({ code: 'SIGNATURE_MISSING', message: `${reader.displayName} is unsigned, but --key was given: it cannot be trusted as signed` });
      return { state: 'invalid', message: 'unsigned' };
    }
    return { state: 'unsigned' };
  }
  try {
    if (keys.length > 0) {
      const { keyHint } = verifyBundleSignature(reader.signature, reader.manifestBytes, keys);
      return { state: 'verified', keyHint };
    }
    // No key to check authenticity, but the signed statement must still cover these exact bundle.json bytes.
    const keyHint = readSignatureKeyHint(reader.signature);
    const statementDigest = subjectDigest(reader.signature);
    const actual = sha256Digest(reader.manifestBytes);
    if (statementDigest !== actual) {
      const message = `bundle.json was changed after signing: its sha256 is ${actual}, the signature covers ${statementDigest}`;
      problems.push({ code: 'SIGNATURE_INVALID', message });
      return { state: 'invalid', message };
    }
    return { state: 'unchecked', keyHint };
  } catch (err) {
    const message = errorMessage(err);
    problems.push({ code: isAirbundleError(err) ? err.code : 'SIGNATURE_INVALID', message });
    return { state: 'invalid', message };
  }
}

/** subjectDigest reads the sha256 of the bundle.json subject from the DSSE statement, unverified. */
function subjectDigest(sig: Buffer): string {
  try {
    const bundle = JSON.parse(sig.toString('utf8')) as { dsseEnvelope?: { payload?: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as {
      subject?: Array<{ name?: string; digest?: { sha256?: string } }>;
    };
    const hex = statement.subject?.find((s) => s.name === 'bundle.json')?.digest?.sha256;
    return hex === undefined ? 'nothing' : `sha256:${hex}`;
  } catch {
    throw new AirbundleError('SIGNATURE_INVALID', 'bundle.sig is not a Sigstore bundle with a DSSE in-toto statement');
  }
}

function checkIndex(reader: BundleReader, problems: VerifyProblem[]): void {
  let index: { manifests?: Array<Descriptor & { annotations?: Record<string, string> }> };
  try {
    index = JSON.parse(reader.index.toString('utf8')) as typeof index;
  } catch {
    problems.push({ code: 'BUNDLE_CORRUPT', message: 'index.json is not valid JSON' });
    return;
  }
  const listed = new Map((index.manifests ?? []).map((d) => [d.annotations?.[ANNOTATION_REF_NAME] ?? '', d]));
  for (const a of reader.manifest.artifacts) {
    const entry = listed.get(a.ref);
    if (entry === undefined || entry.digest !== a.root.digest || entry.size !== a.root.size) {
      problems.push({
        code: 'BUNDLE_CORRUPT',
        artifact: a.name,
        message: `index.json does not list ${a.ref} as ${a.root.digest} (bundle.json does): index.json was changed`,
      });
    }
  }
  if (listed.size !== reader.manifest.artifacts.length) {
    problems.push({ code: 'BUNDLE_CORRUPT', message: `index.json lists ${listed.size} artifacts, bundle.json ${reader.manifest.artifacts.length}` });
  }
}

interface ChunkTask {
  desc: Descriptor;
  index: number;
  offset: number;
  length: number;
  expected: string;
  chunked: boolean;
}

async function checkBlobs(reader: BundleReader, owners: Map<string, string>, options: VerifyOptions, onEvent: ProgressSink, problems: VerifyProblem[]) {
  const manifest = reader.manifest;
  const tasks: ChunkTask[] = [];
  for (const blob of manifest.blobs) {
    const desc: Descriptor = { mediaType: blob.mediaType, digest: parseDigest(blob.digest), size: blob.size };
    const stored = await reader.storedSize(desc);
    if (stored === undefined) {
      problems.push({ code: 'BLOB_NOT_FOUND', blob: blob.digest, artifact: owners.get(blob.digest), message: `blob ${blob.digest} (${blob.mediaType}) listed in bundle.json is missing` });
      continue;
    }
    if (stored !== blob.size) {
      problems.push({ code: 'SIZE_MISMATCH', blob: blob.digest, artifact: owners.get(blob.digest), message: `blob ${blob.digest} (${blob.mediaType}) has ${stored} bytes in the bundle, bundle.json lists ${blob.size}` });
      continue;
    }
    const chunks = blob.chunks ?? [];
    if (chunks.length === 0) {
      tasks.push({ desc, index: 0, offset: 0, length: blob.size, expected: blob.digest, chunked: false });
      continue;
    }
    chunks.forEach((expected, index) => {
      const offset = index * manifest.chunkSize;
      tasks.push({ desc, index, offset, length: Math.min(manifest.chunkSize, blob.size - offset), expected, chunked: true });
    });
  }
  const total = tasks.reduce((n, t) => n + t.length, 0);
  onEvent({ type: 'phase-start', phase: 'verify', title: `Verify ${tasks.length} chunks`, total });
  const limit = createLimiter(options.concurrency !== undefined && options.concurrency > 0 ? options.concurrency : 4);
  let done = 0;
  await Promise.all(
    tasks.map((task) =>
      limit(async () => {
        const hash = createHash('sha256');
        let seen = 0;
        try {
          const stream = await reader.readRangeStream(task.desc, task.offset, task.length, options.signal);
          for await (const piece of stream) {
            const buf = piece as Buffer;
            const take = Math.min(buf.length, task.length - seen);
            hash.update(take === buf.length ? buf : buf.subarray(0, take));
            seen += take;
            done += take;
            onEvent({ type: 'bytes', phase: 'verify', item: 'all', done, total });
            if (seen >= task.length) break;
          }
        } catch (err) {
          problems.push(problemFor(reader, task, owners, `could not be read: ${errorMessage(err)}`, isAirbundleError(err) ? err.code : 'BUNDLE_UNREADABLE'));
          return;
        }
        const actual = `sha256:${hash.digest('hex')}`;
        if (seen !== task.length || actual !== task.expected) {
          problems.push(problemFor(reader, task, owners, `has sha256 ${actual}, expected ${task.expected}`));
        }
      }),
    ),
  );
  onEvent({ type: 'phase-end', phase: 'verify', title: `Verify ${tasks.length} chunks` });
  problems.sort((a, b) => (a.blob ?? '').localeCompare(b.blob ?? '') || (a.chunk ?? 0) - (b.chunk ?? 0));
  return { chunks: tasks.length, bytes: total };
}

function problemFor(reader: BundleReader, task: ChunkTask, owners: Map<string, string>, what: string, code = 'DIGEST_MISMATCH'): VerifyProblem {
  const location = reader.locate(task.desc, task.offset);
  const where = `${location.file} at offset ${location.offset}${location.frame !== undefined ? ` (zstd frame ${location.frame})` : ''}`;
  const artifact = owners.get(task.desc.digest);
  const subject = task.chunked
    ? `chunk ${task.index} (bytes ${task.offset}–${task.offset + task.length - 1}) of blob ${task.desc.digest}`
    : `blob ${task.desc.digest}`;
  return {
    code,
    message: `${artifact !== undefined ? `${artifact}: ` : ''}${subject} ${what}; stored in ${where}`,
    blob: task.desc.digest,
    ...(task.chunked ? { chunk: task.index } : {}),
    ...(artifact !== undefined ? { artifact } : {}),
    location,
  };
}

/** blobOwners maps each blob digest to the names of the artifacts whose graph holds it. */
function blobOwners(graphs: ArtifactGraph[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const g of graphs) {
    for (const digest of [g.root.digest, ...g.nodes.map((n) => n.digest), ...g.problems.map((p) => p.blob)]) {
      const prev = owners.get(digest);
      if (prev === undefined) owners.set(digest, g.artifact.name);
      else if (!prev.split(', ').includes(g.artifact.name)) owners.set(digest, `${prev}, ${g.artifact.name}`);
    }
  }
  return owners;
}
