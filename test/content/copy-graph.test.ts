import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { copyGraph } from '../../src/content/copy-graph.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import { LayoutStore } from '../../src/content/layout-store.js';
import { MemoryStore } from '../../src/content/memory-store.js';
import type { OpenBody, Storage } from '../../src/content/storage.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();

function image(src: MemoryStore, layers: Buffer[]): Descriptor {
  const config = src.add('application/vnd.oci.image.config.v1+json', '{"os":"linux"}');
  const layerDescs = layers.map((l) => src.add('application/vnd.oci.image.layer.v1.tar', l));
  return src.add('application/vnd.oci.image.manifest.v1+json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: layerDescs }));
}

/** A store wrapper that records the order of pushes. */
function recording(dst: Storage, order: string[]): Storage {
  return {
    exists: (d) => dst.exists(d),
    fetch: (d, o) => dst.fetch(d, o),
    push: async (d: Descriptor, open: OpenBody) => {
      await dst.push(d, open);
      order.push(d.mediaType);
    },
  };
}

describe('copyGraph', () => {
  it('copies children before parents, and a shared blob once', async () => {
    const src = new MemoryStore();
    const shared = randomBytes(1000);
    const a = image(src, [shared, randomBytes(500)]);
    const idx = src.add('application/vnd.oci.image.index.v1+json', JSON.stringify({ schemaVersion: 2, manifests: [a, image(src, [shared])] }));
    const order: string[] = [];
    const dst = await LayoutStore.open(await tempDir(), { create: true });
    await copyGraph(src, recording(dst, order), idx);
    expect(order.at(-1)).toBe('application/vnd.oci.image.index.v1+json');
    expect(order.filter((m) => m.includes('layer'))).toHaveLength(2);
    const firstManifest = order.indexOf('application/vnd.oci.image.manifest.v1+json');
    expect(order.slice(0, firstManifest).some((m) => m.includes('layer'))).toBe(true);
    expect(await dst.exists(idx)).toBe(true);
  });

  it('skips what the destination already has', async () => {
    const src = new MemoryStore();
    const root = image(src, [randomBytes(100)]);
    const dst = await LayoutStore.open(await tempDir(), { create: true });
    await copyGraph(src, dst, root);
    const skipped: string[] = [];
    const order: string[] = [];
    await copyGraph(src, recording(dst, order), root, { onSkipped: (d) => skipped.push(d.digest) });
    expect(order).toEqual([]);
    expect(skipped).toEqual([root.digest]);
  });

  it('never writes the parent when a child fails, and rejects only once nothing is writing any more', async () => {
    const src = new MemoryStore();
    const root = image(src, [randomBytes(100)]);
    const dst = await LayoutStore.open(await tempDir(), { create: true });
    let inFlight = 0;
    const failing: Storage = {
      exists: (d) => dst.exists(d),
      fetch: (d, o) => dst.fetch(d, o),
      push: async (d, open) => {
        if (d.mediaType.includes('layer')) throw new Error('disk full');
        // The config is still being written when its sibling layer fails.
        inFlight += 1;
        try {
          await new Promise((r) => setTimeout(r, 100));
          await dst.push(d, open);
        } finally {
          inFlight -= 1;
        }
      },
    };
    await expect(copyGraph(src, failing, root)).rejects.toThrow(/disk full/);
    expect(inFlight, 'a sibling was still writing after copyGraph rejected').toBe(0);
    expect(await dst.exists(root)).toBe(false);
  });
});
