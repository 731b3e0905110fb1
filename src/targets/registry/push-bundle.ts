import { checkedGraphs } from '../../bundle/artifact-graph.js';
import { BundleReader } from '../../bundle/reader.js';
import { isManifestMediaType } from '../../bundle/layout.js';
import { copyGraph } from '../../content/copy-graph.js';
import type { Descriptor } from '../../content/descriptor.js';
import { fetchBytes } from '../../content/fetch-bytes.js';
import type { FetchOptions, OpenBody, PushOptions, ReadOnlyStorage, Storage } from '../../content/storage.js';
import { verifyStream } from '../../content/verify-stream.js';
import { Registry, type RegistryOptions } from '../../oci/registry.js';
import type { Repository } from '../../oci/repository.js';
import { noProgress, type ProgressSink } from '../../progress/events.js';
import { targetFor } from '../name-mapping.js';
import { parseRegistryTarget } from './registry-target.js';

/** PushBundleOptions for {@link pushBundle}. */
export interface PushBundleOptions {
  /** `HOST[:PORT][/PREFIX]`. */
  registry: string;
  /** Connection, credentials, retries (see RegistryOptions). */
  connection?: Omit<RegistryOptions, 'onEvent' | 'phase'>;
  /** Blobs in flight at once (default 4). */
  concurrency?: number;
  /** Runs before anything is pushed, e.g. to create Harbor projects. */
  prepare?: (registry: Registry, repositories: string[]) => Promise<void>;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
}

/** PushedReference is one artifact as it now is in the registry. */
export interface PushedReference {
  kind: string;
  name: string;
  /** The artifact's ref in the bundle. */
  ref: string;
  /** Where it went: `HOST/PREFIX/repo:tag`. */
  reference: string;
  digest: string;
  mediaType: string;
}

/** PushReport says what moved. */
export interface PushReport {
  registry: string;
  references: PushedReference[];
  /** Blobs and manifests sent, found already there, or mounted from another repository. */
  uploaded: number;
  skipped: number;
  mounted: number;
  /** Bytes sent over the wire. */
  bytes: number;
  /** Requests retried after transient failures, each with its reason. */
  retries: Array<{ item: string; attempt: number; reason: string }>;
}

/**
 * pushBundle streams every artifact of a bundle (any physical form, nothing extracted) into a registry:
 * children before parents, tags last, HEAD-skip for what is there, cross-repository mounts for blobs shared
 * between repositories, several blobs in flight. Every blob is verified against its digest as it leaves the
 * bundle. A re-run after an interruption sends only what the registry does not have.
 */
export async function pushBundle(path: string, options: PushBundleOptions): Promise<PushReport> {
  const outer = options.onEvent ?? noProgress;
  const retries: PushReport['retries'] = [];
  const onEvent: ProgressSink = (e) => {
    if (e.type === 'retry') retries.push({ item: e.item, attempt: e.attempt, reason: e.reason });
    outer(e);
  };
  const target = parseRegistryTarget(options.registry);
  const registry = new Registry(target.host, { ...options.connection, onEvent, phase: 'push' });
  const reader = await BundleReader.open(path);
  try {
    // Every artifact's graph is checked against the bundle before the registry is touched: a bundle that could
    // only be pushed in part is refused with nothing sent.
    const graphs = await checkedGraphs(reader, reader.manifest.artifacts, options.signal);
    const plans = graphs.map((g) => ({ artifact: g.artifact, root: g.root, nodes: g.nodes, ...targetFor(g.artifact.ref, target.prefix) }));
    await registry.ping({ signal: options.signal });
    await options.prepare?.(registry, [...new Set(plans.map((a) => a.repository))]);

    const sizes = new Map<string, number>();
    for (const p of plans) for (const n of p.nodes) sizes.set(`${p.repository}\0${n.digest}`, n.size);
    const total = [...sizes.values()].reduce((n, s) => n + s, 0);
    onEvent({ type: 'phase-start', phase: 'push', title: `Push to ${options.registry}`, total });

    const report: PushReport = { registry: options.registry, references: [], uploaded: 0, skipped: 0, mounted: 0, bytes: 0, retries };
    let done = 0;
    const progress = (n: number): void => {
      done += n;
      report.bytes += n;
      onEvent({ type: 'bytes', phase: 'push', item: 'all', done, total });
    };
    /** Which repository of this registry already holds each blob (for mounts). */
    const holder = new Map<string, string>();
    const source = new VerifyingSource(reader);
    for (const plan of plans) {
      const repo = registry.repository(plan.repository);
      const dest = new MountingDestination(repo, holder, report);
      await copyGraph(source, dest, plan.root, {
        concurrency: options.concurrency ?? 4,
        signal: options.signal,
        onBytes: (_desc, n) => progress(n),
        onSkipped: (desc) => {
          report.skipped += 1;
          // A skipped root skips its whole graph: count those bytes as done.
          const skippedBytes = desc.digest === plan.root.digest ? plan.nodes.reduce((n, d) => n + d.size, 0) : desc.size;
          done += skippedBytes;
          onEvent({ type: 'item-end', phase: 'push', item: desc.digest, skipped: true });
          onEvent({ type: 'bytes', phase: 'push', item: 'all', done: Math.min(done, total), total });
        },
        postCopy: (desc) => {
          if (!isManifestMediaType(desc.mediaType)) holder.set(desc.digest, plan.repository);
        },
      });
      for (const n of plan.nodes) if (!isManifestMediaType(n.mediaType)) holder.set(n.digest, plan.repository);
      // The tag goes last, with the exact bytes of the bundle.
      await repo.pushManifest(plan.root, await fetchBytes(reader, plan.root, options.signal), plan.tag, { signal: options.signal });
      report.references.push({
        kind: plan.artifact.kind,
        name: plan.artifact.name,
        ref: plan.artifact.ref,
        reference: `${target.host}/${plan.repository}:${plan.tag}`,
        digest: plan.root.digest,
        mediaType: plan.root.mediaType,
      });
    }
    onEvent({ type: 'phase-end', phase: 'push', title: `Push to ${options.registry}` });
    return report;
  } finally {
    await reader.close();
    registry.close();
  }
}

/** VerifyingSource serves a bundle's blobs, checking each whole read against its digest as it streams. */
class VerifyingSource implements ReadOnlyStorage {
  readonly #reader: BundleReader;
  constructor(reader: BundleReader) {
    this.#reader = reader;
  }
  exists(desc: Descriptor): Promise<boolean> {
    return this.#reader.exists(desc);
  }
  async fetch(desc: Descriptor, options: FetchOptions = {}) {
    const body = await this.#reader.fetch(desc, options);
    // A resumed read (offset > 0) is checked by the registry, which verifies the digest of the whole upload.
    if ((options.offset ?? 0) > 0) return body;
    const verified = body.pipe(verifyStream(desc));
    body.on('error', (err) => verified.destroy(err));
    return verified;
  }
}

/** MountingDestination pushes into one repository, mounting blobs another repository of the run already holds. */
class MountingDestination implements Storage {
  readonly #repo: Repository;
  readonly #holder: Map<string, string>;
  readonly #report: PushReport;
  constructor(repo: Repository, holder: Map<string, string>, report: PushReport) {
    this.#repo = repo;
    this.#holder = holder;
    this.#report = report;
  }
  exists(desc: Descriptor): Promise<boolean> {
    return this.#repo.exists(desc);
  }
  fetch(desc: Descriptor, options?: FetchOptions) {
    return this.#repo.fetch(desc, options);
  }
  async push(desc: Descriptor, open: OpenBody, options: PushOptions = {}): Promise<void> {
    const from = this.#holder.get(desc.digest);
    if (from !== undefined && from !== this.#repo.name && !isManifestMediaType(desc.mediaType)) {
      const outcome = await this.#repo.mount(desc, from, open, options);
      if (outcome === 'mounted') this.#report.mounted += 1;
      else this.#report.uploaded += 1;
      return;
    }
    await this.#repo.push(desc, open, options);
    this.#report.uploaded += 1;
  }
}
