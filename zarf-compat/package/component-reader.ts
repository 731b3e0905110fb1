/**
 * ComponentReader parses `components/<name>.tar` as its bytes stream past (the outer entry is being hashed at the
 * same time), keeping in memory only the small text zarf-compat renders (`<name>/manifests/*`), the digest and
 * Chart.yaml of each chart archive, and listing the rest (values, files, data, repos) for the report. A component holding gigabytes of data-injection
 * payload costs no memory and no disk.
 * Reference: layout in zarf.md §1.2 (`assemblePackageComponent`).
 */
import tar from 'tar-stream';
import { AirbundleError, errorMessage } from '../../src/errors.js';
import { readChartArchive, type ChartArchive } from '../chart/chart-archive.js';
import { drainOrClose } from '../util/drain-or-close.js';

/** Largest manifest file kept in memory, and all manifests of a component together. */
const MAX_MANIFEST = 16 * 1024 * 1024;
const MAX_MANIFESTS = 64 * 1024 * 1024;

/** ComponentContent is what a component tar holds, by kind. */
export interface ComponentContent {
  name: string;
  /** `manifests/<file>` → bytes (Zarf names them `<manifest>-<i>.yaml`, `kustomization-<manifest>-<i>.yaml`). */
  manifests: Map<string, Buffer>;
  /** Other entries by top-level folder (`charts`, `values`, `files`, `data`, `repos`, …) → paths and sizes. */
  others: Map<string, Array<{ path: string; size: number }>>;
  /** Chart archives (`charts/<chart>-<version>.tgz`) → digest, size and Chart.yaml. */
  charts: Map<string, ChartArchive>;
}

/** ComponentReader is fed the component tar's bytes with `write` and gives its content at `end`. */
export class ComponentReader {
  readonly #name: string;
  readonly #extract = tar.extract();
  readonly #content: ComponentContent;
  readonly #consumer: Promise<void>;
  #error: unknown;
  #kept = 0;

  constructor(component: string) {
    this.#name = component;
    this.#content = { name: component, manifests: new Map(), others: new Map(), charts: new Map() };
    this.#extract.on('error', (err: unknown) => {
      this.#error ??= err;
    });
    this.#consumer = this.#consume().catch((err: unknown) => {
      this.#error ??= err;
    });
  }

  async #consume(): Promise<void> {
    for await (const entry of this.#extract) {
      const h = entry.header;
      const path = h.name.replace(/^\.\/+/, '').replace(/\/+$/, '');
      const parts = path.split('/');
      if (h.type !== 'file' || parts.length < 2) {
        entry.resume();
        continue;
      }
      const inside = parts.slice(1).join('/');
      const kind = parts[1]!;
      const size = h.size;
      if (kind === 'manifests' && size <= MAX_MANIFEST && this.#kept + size <= MAX_MANIFESTS) {
        const chunks: Buffer[] = [];
        for await (const c of entry as AsyncIterable<unknown> as AsyncIterable<Buffer>) chunks.push(c);
        this.#kept += size;
        this.#content.manifests.set(inside, Buffer.concat(chunks));
        continue;
      }
      if (kind === 'charts' && parts.length === 3 && inside.endsWith('.tgz')) this.#content.charts.set(inside, await readChartArchive(entry as AsyncIterable<unknown> as AsyncIterable<Buffer>));
      else entry.resume();
      const list = this.#content.others.get(kind) ?? [];
      list.push({ path: inside, size });
      this.#content.others.set(kind, list);
    }
  }

  /** write feeds bytes of the component tar, waiting when the parser is behind. */
  async write(chunk: Buffer): Promise<void> {
    if (this.#error !== undefined || this.#extract.destroyed) return;
    if (!this.#extract.write(chunk)) await drainOrClose(this.#extract);
  }

  /** end finishes parsing; ZARF_PACKAGE_CORRUPT if the component tar is not a tar. */
  async end(): Promise<ComponentContent> {
    if (this.#error === undefined && !this.#extract.destroyed) this.#extract.end(undefined);
    await this.#consumer;
    if (this.#error !== undefined) {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `components/${this.#name}.tar is not a readable tar: ${errorMessage(this.#error)}`, { details: { file: `components/${this.#name}.tar` } });
    }
    return this.#content;
  }

  /** abandon stops parsing (the outer entry failed its check). */
  abandon(): void {
    this.#extract.destroy();
  }
}
