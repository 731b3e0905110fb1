import { randomBytes } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { descriptorFor } from '../../src/content/descriptor.js';
import { LayoutStore } from '../../src/content/layout-store.js';
import { useTempDirs } from '../support/temp-dir.js';
import { expectCode } from '../support/matchers.js';

const tempDir = useTempDirs();

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('LayoutStore', () => {
  describe('push', () => {
    it('stores verified content read-only under blobs/sha256 and serves it with offsets', async () => {
      const store = await LayoutStore.open(await tempDir(), { create: true });
      const data = randomBytes(3 * 1024 * 1024 + 7);
      const desc = descriptorFor('application/octet-stream', data);
      await store.push(desc, async (offset) => Readable.from([data.subarray(offset)]));
      expect(await store.exists(desc)).toBe(true);
      const st = await stat(store.blobPath(desc));
      expect(st.mode & 0o777).toBe(0o444);
      expect((await readAll(await store.fetch(desc))).equals(data)).toBe(true);
      expect((await readAll(await store.fetch(desc, { offset: 1000 }))).equals(data.subarray(1000))).toBe(true);
    });

    describe('when the bytes do not match the digest', () => {
      it('rejects with DIGEST_MISMATCH and leaves neither the blob nor an ingest file', async () => {
        const root = await tempDir();
        const store = await LayoutStore.open(root, { create: true });
        const data = randomBytes(4096);
        const desc = descriptorFor('application/octet-stream', data);
        const bad = Buffer.from(data);
        bad[100] = (bad[100] ?? 0) ^ 0xff;
        await expectCode(store.push(desc, async () => Readable.from([bad])), 'DIGEST_MISMATCH');
        expect(await store.exists(desc)).toBe(false);
        expect(await readdir(join(root, 'ingest'))).toEqual([]);
      });
    });

    describe('when the body is short or long', () => {
      it('rejects with SIZE_MISMATCH', async () => {
        const store = await LayoutStore.open(await tempDir(), { create: true });
        const data = randomBytes(4096);
        const desc = descriptorFor('application/octet-stream', data);
        await expectCode(store.push(desc, async () => Readable.from([data.subarray(0, 4000)])), 'SIZE_MISMATCH');
        await expectCode(store.push(desc, async () => Readable.from([data, Buffer.from('x')])), 'SIZE_MISMATCH');
      });
    });
  });

  describe('tags', () => {
    it('writes index.json with ref names, sorted, atomically', async () => {
      const root = await tempDir();
      const store = await LayoutStore.open(root, { create: true });
      const a = descriptorFor('application/vnd.oci.image.manifest.v1+json', Buffer.from('{"a":1}'));
      const b = descriptorFor('application/vnd.oci.image.manifest.v1+json', Buffer.from('{"b":1}'));
      await store.tag(b, 'zeta:1');
      await store.tag(a, 'alpha:1');
      await store.saveIndex();
      const index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
      expect(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name'])).toEqual(['alpha:1', 'zeta:1']);
      const reopened = await LayoutStore.open(root);
      expect((await reopened.resolve('zeta:1')).digest).toBe(b.digest);
      await expectCode(reopened.resolve('nope'), 'BLOB_NOT_FOUND');
    });
  });

  it('refuses to open a directory that is not a layout', async () => {
    await expectCode(LayoutStore.open(await tempDir()), 'BUNDLE_NOT_FOUND');
  });
});
