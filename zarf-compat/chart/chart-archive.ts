/**
 * readChartArchive reads a chart archive (`charts/<chart>-<version>.tgz` of a component tar) as it streams past:
 * its sha256 and size (the bytes are pushed unchanged as the chart layer) and its `<chart>/Chart.yaml`, which is
 * all helm needs to describe it. The archive is gunzipped and parsed on the fly; nothing else is kept.
 */
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { digestFromHex, type Digest } from '../../src/content/digest.js';
import { errorMessage } from '../../src/errors.js';
import { drainOrClose } from '../util/drain-or-close.js';

/** Largest Chart.yaml kept. */
const MAX_CHART_YAML = 1024 * 1024;

/** ChartArchive is what one pass over a chart archive learned. */
export interface ChartArchive {
  /** `sha256:<hex>` of the .tgz bytes. */
  digest: Digest;
  size: number;
  /** The chart's Chart.yaml, undefined when the archive has none (or is not a gzipped tar: see `problem`). */
  chartYaml?: Buffer;
  /** Why Chart.yaml could not be read. */
  problem?: string;
}

/** readChartArchive consumes `body` to its end. */
export async function readChartArchive(body: AsyncIterable<Buffer>): Promise<ChartArchive> {
  const hash = createHash('sha256');
  let size = 0;
  const gunzip = createGunzip();
  const extract = tar.extract();
  let problem: string | undefined;
  let chartYaml: Buffer | undefined;
  const fail = (err: unknown): void => {
    problem ??= errorMessage(err);
  };
  gunzip.on('error', (err: unknown) => {
    fail(err);
    extract.destroy();
  });
  extract.on('error', fail);
  gunzip.pipe(extract);
  const parsing = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\/+/, '');
      if (chartYaml === undefined && /^[^/]+\/Chart\.yaml$/.test(name) && entry.header.size <= MAX_CHART_YAML) {
        const chunks: Buffer[] = [];
        for await (const c of entry as AsyncIterable<unknown> as AsyncIterable<Buffer>) chunks.push(c);
        chartYaml = Buffer.concat(chunks);
      } else {
        entry.resume();
      }
    }
  })().catch(fail);
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.length;
    if (problem === undefined && !gunzip.destroyed && !gunzip.write(chunk)) await drainOrClose(gunzip);
  }
  if (!gunzip.destroyed) gunzip.end();
  if (problem !== undefined) extract.destroy();
  await parsing;
  return {
    digest: digestFromHex(hash.digest('hex')),
    size,
    ...(chartYaml !== undefined ? { chartYaml } : {}),
    ...(chartYaml === undefined ? { problem: problem ?? 'it holds no <chart>/Chart.yaml' } : {}),
  };
}
