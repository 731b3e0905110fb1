import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { expectCode } from '../support/matchers.js';
import { useTempDirs } from '../support/temp-dir.js';
import { aNamespace, aPod, useEmulatedCluster, type EmulatedCluster } from './fixture.js';

const emulated = useEmulatedCluster();
const tempDir = useTempDirs();
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** withLoaderPod starts an emulator whose pod ml/loader mounts a temp dir at /models, and waits for it to run. */
async function withLoaderPod(options: { subprotocols?: string[] } = {}): Promise<EmulatedCluster & { volume: string }> {
  const volume = await tempDir();
  const env = await emulated({ exec: { mounts: { '/models': volume } }, ...options });
  await env.cluster.apply([aNamespace(), aPod('loader')]);
  await env.cluster.waitPodRunning('ml', 'loader', { pollMs: 5 });
  return { ...env, volume };
}

/** tarOf packs files into a tar stream, lazily. */
function tarOf(files: Record<string, Buffer>): Readable {
  const p = pack();
  void (async () => {
    for (const [name, content] of Object.entries(files)) {
      await new Promise<void>((resolve, reject) => p.entry({ name, size: content.length, mode: 0o644 }, content, (err) => (err ? reject(err) : resolve())));
    }
    p.finalize();
  })();
  return Readable.from(p);
}

/** countingSource yields `total` bytes in 64 KiB chunks, counting what has been pulled. */
function countingSource(total: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (pulled >= total) return void this.push(null);
      pulled += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

describe('Cluster.exec', () => {
  describe('when stdin carries a tar', () => {
    it('streams it into `tar -x` in the pod and the files arrive intact', async () => {
      const { cluster, volume } = await withLoaderPod();
      const files = {
        'model/weights.safetensors': randomBytes(5 * 1024 * 1024 + 123),
        'model/config.json': Buffer.from(JSON.stringify({ architectures: ['LlamaForCausalLM'] })),
        'model/tokenizer/tokenizer.json': randomBytes(300 * 1024),
      };
      const result = await cluster.exec('ml', 'loader', 'loader', ['tar', '-x', '-C', '/models'], { stdin: tarOf(files) });
      expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      for (const [name, content] of Object.entries(files)) expect(sha256(await readFile(join(volume, name)))).toBe(sha256(content));
    });

    it('does not read stdin faster than the command takes it', async () => {
      const { cluster } = await withLoaderPod();
      const total = 64 * 1024 * 1024;
      const source = countingSource(total);
      const running = cluster.exec('ml', 'loader', 'loader', ['sh', '-c', 'sleep 1; cat >/dev/null'], { stdin: source.stream });
      await new Promise((resolve) => setTimeout(resolve, 700));
      // Socket buffers and one frame in flight hold a few MiB; without backpressure all 64 MiB would be read by now.
      expect(source.pulled()).toBeLessThan(24 * 1024 * 1024);
      expect((await running).exitCode).toBe(0);
      expect(source.pulled()).toBe(total);
    });
  });

  describe('exit status and output', () => {
    it('returns a non-zero exit code with stdout and stderr', async () => {
      const { cluster } = await withLoaderPod();
      const result = await cluster.exec('ml', 'loader', 'loader', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    });

    it('returns when the command exits before reading all of stdin', async () => {
      const { cluster } = await withLoaderPod();
      const result = await cluster.exec('ml', 'loader', 'loader', ['sh', '-c', 'head -c 10 >/dev/null; exit 4'], { stdin: countingSource(64 * 1024 * 1024).stream });
      expect(result.exitCode).toBe(4);
    });

    it('keeps only the tail of a long output', async () => {
      const { cluster } = await withLoaderPod();
      const result = await cluster.exec('ml', 'loader', 'loader', ['sh', '-c', 'seq 1 20000'], { maxOutputBytes: 100 });
      expect(result.stdout.startsWith('…')).toBe(true);
      expect(result.stdout.endsWith('19999\n20000\n')).toBe(true);
      expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(100 + 3);
    });

    it('works over v4.channel.k8s.io (servers before Kubernetes 1.30)', async () => {
      const { cluster } = await withLoaderPod({ subprotocols: ['v4.channel.k8s.io'] });
      expect(await cluster.exec('ml', 'loader', 'loader', ['echo', 'hi'])).toEqual({ exitCode: 0, stdout: 'hi\n', stderr: '' });
    });
  });

  describe('when the exec cannot start', () => {
    it('fails with K8S_NOT_FOUND for a missing pod', async () => {
      const { cluster } = await withLoaderPod();
      const err = await expectCode(cluster.exec('ml', 'ghost', 'loader', ['true']), 'K8S_NOT_FOUND');
      expect(err.message).toContain('pods "ghost" not found');
    });

    it('fails with K8S_EXEC for a container the pod does not have', async () => {
      const { cluster } = await withLoaderPod();
      const err = await expectCode(cluster.exec('ml', 'loader', 'sidecar', ['true']), 'K8S_EXEC');
      expect(err.message).toContain('container sidecar is not valid for pod loader');
      expect(err.hint).toContain('Running');
    });

    it('fails with K8S_DENIED when RBAC forbids pods/exec', async () => {
      const { cluster, running } = await withLoaderPod();
      running.emulator.deny({ resource: 'pods/exec' });
      const err = await expectCode(cluster.exec('ml', 'loader', 'loader', ['true']), 'K8S_DENIED');
      expect(err.message).toContain('cannot create resource "pods/exec"');
      expect(err.hint).toContain('kubectl auth can-i create pods/exec -n ml');
    });

    it('stops with ABORTED', async () => {
      const { cluster } = await withLoaderPod();
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      await expectCode(cluster.exec('ml', 'loader', 'loader', ['sleep', '10'], { signal: ac.signal }), 'ABORTED');
    });
  });
});
