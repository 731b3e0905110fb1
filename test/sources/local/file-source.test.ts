import { randomBytes } from 'node:crypto';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../../src/cache/content-cache.js';
import { fetchJson } from '../../../src/content/fetch-bytes.js';
import { resolveFileModel } from '../../../src/sources/local/file-source.js';
import type { SourceContext } from '../../../src/sources/source.js';
import type { ProgressEvent } from '../../../src/progress/events.js';
import { useTempDirs } from '../../support/temp-dir.js';
import { expectCode } from '../../support/matchers.js';

const tempDir = useTempDirs();

async function context(specDir: string, events: ProgressEvent[] = []): Promise<SourceContext> {
  return { cache: await ContentCache.open(join(specDir, '.cache')), specDir, chunkSize: 1024 * 1024, now: new Date(0), onEvent: (e) => events.push(e) };
}

interface Manifest {
  artifactType: string;
  config: { mediaType: string };
  layers: Array<{ mediaType: string; digest: string; size: number; annotations: Record<string, string> }>;
}

describe('resolveFileModel', () => {
  it('packs a directory as a ModelPack artifact, one raw layer per file, with file paths', async () => {
    const dir = await tempDir();
    const model = join(dir, 'm');
    await mkdir(join(model, 'sub'), { recursive: true });
    await writeFile(join(model, 'config.json'), '{}');
    await writeFile(join(model, 'model.safetensors'), randomBytes(3 * 1024 * 1024));
    await writeFile(join(model, 'sub', 'README.md'), '# hi');
    const ctx = await context(dir);
    const art = await resolveFileModel({ name: 'm', source: 'file://./m' }, ctx, '1.0');
    expect(art.ref).toBe('models/m:1.0');
    const manifest = (await fetchJson(art.storage, art.root)) as Manifest;
    expect(manifest.artifactType).toBe('application/vnd.cncf.model.manifest.v1+json');
    expect(manifest.config.mediaType).toBe('application/vnd.cncf.model.config.v1+json');
    expect(manifest.layers.map((l) => [l.annotations['org.cncf.model.filepath'], l.mediaType])).toEqual([
      ['config.json', 'application/vnd.cncf.model.weight.config.v1.raw'],
      ['model.safetensors', 'application/vnd.cncf.model.weight.v1.raw'],
      ['sub/README.md', 'application/vnd.cncf.model.doc.v1.raw'],
    ]);
    const weights = manifest.layers[1]!;
    expect(art.chunks.get(weights.digest as never)).toHaveLength(3);
  });

  it('hashes nothing the second time (same file version), and again after the file changes', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'w.bin'), randomBytes(100_000));
    const events: ProgressEvent[] = [];
    const ctx = await context(dir, events);
    const first = await resolveFileModel({ name: 'w', source: 'file://w.bin' }, ctx, '1');
    expect(events.filter((e) => e.type === 'bytes').length).toBeGreaterThan(0);
    events.length = 0;
    const second = await resolveFileModel({ name: 'w', source: 'file://w.bin' }, ctx, '1');
    expect(second.root.digest).toBe(first.root.digest);
    expect(events.filter((e) => e.type === 'bytes')).toEqual([]);
    expect(events.some((e) => e.type === 'item-end' && e.cached === true)).toBe(true);
    await writeFile(join(dir, 'w.bin'), randomBytes(100_000));
    await utimes(join(dir, 'w.bin'), new Date(), new Date(Date.now() + 5000));
    const third = await resolveFileModel({ name: 'w', source: 'file://w.bin' }, ctx, '1');
    expect(third.root.digest).not.toBe(first.root.digest);
  });

  it('applies include and exclude globs', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'm'));
    for (const f of ['a.safetensors', 'b.bin', 'config.json']) await writeFile(join(dir, 'm', f), f);
    const art = await resolveFileModel({ name: 'm', source: 'file://m', include: ['*.safetensors', '*.json'], exclude: ['config.json'] }, await context(dir), '1');
    const manifest = (await fetchJson(art.storage, art.root)) as Manifest;
    expect(manifest.layers.map((l) => l.annotations['org.cncf.model.filepath'])).toEqual(['a.safetensors']);
  });

  it('names a missing path', async () => {
    const dir = await tempDir();
    const err = await expectCode(resolveFileModel({ name: 'x', source: 'file://./nope' }, await context(dir), '1'), 'SOURCE_NOT_FOUND');
    expect(err.message).toContain(join(dir, 'nope'));
  });
});
