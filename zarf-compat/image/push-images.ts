/**
 * pushImages puts the images of a Zarf package into a registry straight from the package stream: a second pass
 * over the archive sends each blob the registry lacks as its tar entry streams past (verified against its digest
 * on the way), blobs shared by several repositories are sent once and mounted into the others, and manifests
 * follow, tags last: the `-zarf-<crc32>` tag zarf-agent rewrites pods to, and the plain tag. Nothing is extracted
 * or buffered on disk; an image only becomes visible by tag once every one of its blobs is in the registry.
 * A blob whose upload fails after its bytes have streamed past is sent again in another pass (at most 3 passes);
 * blobs already there are never sent again, so re-running after an interruption finishes the job.
 * Reference: zarf-dev/zarf src/pkg/images/push.go (Push: the checksum and plain references).
 */
import { PassThrough, pipeline, type Readable } from 'node:stream';
import type { Descriptor } from '../../src/content/descriptor.js';
import { verifyStream } from '../../src/content/verify-stream.js';
import { AirbundleError, isAirbundleError } from '../../src/errors.js';
import type { Registry } from '../../src/oci/registry.js';
import type { Repository } from '../../src/oci/repository.js';
import type { ProgressSink } from '../../src/progress/events.js';
import type { PackageSource } from '../package/package-source.js';
import { walkPackage, type PackageEntry } from '../package/walk-package.js';
import { drainOrClose } from '../util/drain-or-close.js';
import type { ImagePlan } from './image-plan.js';

/** PushedImage is one image as it now is in the registry. */
export interface PushedImage {
  image: string;
  digest: string;
  /** `HOST/PREFIX/path:tag-zarf-crc` (or `@digest` for pinned images). */
  checksummed: string;
  /** `HOST/PREFIX/path:tag`. */
  plain: string;
}

/** PushImagesReport says what moved. */
export interface PushImagesReport {
  images: PushedImage[];
  /** Blobs sent, already there, mounted from another repository. */
  uploaded: number;
  skipped: number;
  mounted: number;
  /** Blob bytes sent. */
  bytes: number;
  /** Passes over the package needed to send the blobs (0 when the registry had them all). */
  passes: number;
}

/** PushImagesOptions for {@link pushImages}. */
export interface PushImagesOptions {
  /** Registry host as given (for references), e.g. `127.0.0.1:5000/prefix`. */
  registry: string;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
  /** Passes over the package at most (default 3). */
  maxPasses?: number;
}

const BLOB_PREFIX = 'images/blobs/sha256/';
const RESEND = 'resendInNextPass';

/** pushImages pushes the planned images from the package in `source` to `registry`. */
export async function pushImages(source: PackageSource, plans: ImagePlan[], registry: Registry, options: PushImagesOptions): Promise<PushImagesReport> {
  const { onEvent, signal } = options;
  const report: PushImagesReport = { images: [], uploaded: 0, skipped: 0, mounted: 0, bytes: 0, passes: 0 };
  const repos = new Map<string, Repository>();
  const repo = (name: string): Repository => {
    let r = repos.get(name);
    if (r === undefined) repos.set(name, (r = registry.repository(name)));
    return r;
  };
  // Every blob with the repositories that need it, the first of which receives the bytes.
  const blobs = new Map<string, { desc: Descriptor; repos: string[] }>();
  for (const p of plans) {
    for (const b of p.blobs) {
      const entry = blobs.get(b.digest) ?? { desc: b, repos: [] };
      if (!entry.repos.includes(p.target.repository)) entry.repos.push(p.target.repository);
      blobs.set(b.digest, entry);
    }
  }
  const missing = new Map<string, Descriptor>();
  for (const { desc, repos: names } of blobs.values()) {
    if (await repo(names[0]!).exists(desc, { signal })) report.skipped += 1;
    else missing.set(desc.digest, desc);
  }
  const total = [...missing.values()].reduce((n, d) => n + d.size, 0);
  const title = `Push images to ${options.registry}`;
  onEvent?.({ type: 'phase-start', phase: 'push', title, total });

  const maxPasses = options.maxPasses ?? 3;
  while (missing.size > 0) {
    if (report.passes >= maxPasses) {
      throw new AirbundleError('REGISTRY_ERROR', `${missing.size} blob${missing.size === 1 ? '' : 's'} could still not be pushed after ${maxPasses} passes over the package`, {
        hint: 'run the push again: what is already in the registry is not sent again',
      });
    }
    report.passes += 1;
    const failed = new Map<string, Descriptor>();
    const seen = new Set<string>();
    await walkPackage(
      source,
      async (entry) => {
        const desc = entry.name.startsWith(BLOB_PREFIX) ? missing.get(`sha256:${entry.name.slice(BLOB_PREFIX.length)}`) : undefined;
        if (desc === undefined) return;
        seen.add(desc.digest);
        const target = repo(blobs.get(desc.digest)!.repos[0]!);
        const sent = await sendEntry(entry, desc, target, (n) => {
          report.bytes += n;
          onEvent?.({ type: 'bytes', phase: 'push', item: 'all', done: report.bytes, total });
        }, signal);
        if (sent) report.uploaded += 1;
        else failed.set(desc.digest, desc);
        // Blobs sort before everything else of images/: stop reading once the last one needed is done.
        return seen.size === missing.size ? 'stop' : undefined;
      },
      signal !== undefined ? { signal } : {},
    );
    const absent = [...missing.keys()].filter((d) => !seen.has(d));
    if (absent.length > 0) {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${source.name} no longer holds ${absent.slice(0, 3).join(', ')}: it changed since it was checked`, { hint: 'nothing was tagged; check the package again' });
    }
    missing.clear();
    for (const [d, desc] of failed) missing.set(d, desc);
  }

  // Other repositories get shared blobs by mount (or, where the registry cannot mount, by copy within it).
  for (const { desc, repos: names } of blobs.values()) {
    const from = repo(names[0]!);
    for (const name of names.slice(1)) {
      const to = repo(name);
      if (await to.exists(desc, { signal })) continue;
      const outcome = await to.mount(desc, from.name, (offset) => from.fetch(desc, { offset, signal }), { signal });
      if (outcome === 'mounted') report.mounted += 1;
      else report.uploaded += 1;
    }
  }

  // Manifests bottom-up, then the two tags of the root: only now does the image appear.
  for (const p of plans) {
    const r = repo(p.target.repository);
    for (const m of p.manifests.slice(0, -1)) {
      if (!(await r.exists(m.desc, { signal }))) await r.pushManifest(m.desc, m.bytes, undefined, { signal });
    }
    const root = p.manifests[p.manifests.length - 1]!;
    if (p.target.checksumTag !== undefined) await r.pushManifest(root.desc, root.bytes, p.target.checksumTag, { signal });
    if (p.target.plainTag !== undefined) await r.pushManifest(root.desc, root.bytes, p.target.plainTag, { signal });
    if (p.target.checksumTag === undefined) await r.pushManifest(root.desc, root.bytes, undefined, { signal });
    report.images.push({ image: p.image, digest: root.desc.digest, checksummed: p.target.checksummed, plain: p.target.plain });
    onEvent?.({ type: 'item-end', phase: 'push', item: p.target.checksummed });
  }
  onEvent?.({ type: 'phase-end', phase: 'push', title });
  return report;
}

/**
 * sendEntry uploads one tar entry as a blob. The entry is always read to its end (the archive stream moves on
 * only then), whether the upload takes it, fails half way, or finds the blob already there. Returns false when the
 * upload failed in a way another pass can fix; throws when the bytes themselves are wrong.
 */
export async function sendEntry(entry: PackageEntry, desc: Descriptor, repo: Repository, onBytes: (n: number) => void, signal: AbortSignal | undefined): Promise<boolean> {
  if (entry.size !== desc.size) {
    throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${entry.name} is ${entry.size} bytes now, ${desc.size} when it was checked: the package changed`, { details: { file: entry.name } });
  }
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  let opened = false;
  let consumerGone = false;
  pipe.once('close', () => {
    consumerGone = true;
  });
  const pump = (async (): Promise<void> => {
    for await (const chunk of entry.body) {
      if (consumerGone) continue;
      if (!pipe.write(chunk)) await drainOrClose(pipe);
    }
    if (!consumerGone) pipe.end();
  })();
  let verifyError: unknown;
  const open = async (offset: number): Promise<Readable> => {
    if (opened || offset !== 0) throw new AirbundleError('REGISTRY_ERROR', `${desc.digest}: the upload must restart, and its bytes have streamed past`, { details: { [RESEND]: true } });
    opened = true;
    const verified = verifyStream(desc, { name: entry.name });
    return pipeline(pipe, verified, (err) => {
      if (err !== undefined && err !== null && isAirbundleError(err) && (err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH')) verifyError = err;
    });
  };
  let ok = true;
  try {
    await repo.push(desc, open, { onBytes, ...(signal !== undefined ? { signal } : {}) });
  } catch (err) {
    if (verifyError !== undefined) {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${entry.name} changed since the package was checked: ${(verifyError as Error).message}`, { details: { file: entry.name }, cause: verifyError });
    }
    if (!(isAirbundleError(err) && (err.details?.[RESEND] === true || err.details?.transient === true))) {
      pipe.destroy();
      await pump.catch(() => undefined);
      throw err;
    }
    ok = false;
  } finally {
    // The registry may have had the blob (no body read) or dropped the upload: let the entry drain.
    if (!pipe.writableEnded || !opened) pipe.destroy();
  }
  await pump;
  if (verifyError !== undefined) {
    throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `${entry.name} changed since the package was checked: ${(verifyError as Error).message}`, { details: { file: entry.name }, cause: verifyError });
  }
  return ok;
}
