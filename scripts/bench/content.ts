/**
 * The bench's content: a model of N bytes in shards, made to look like bf16 weights to zstd. Trained weights are
 * small numbers, so the high byte of each bf16 (sign and top exponent bits) takes few values while the low byte
 * (exponent bit and mantissa) is close to random: zstd -3 shrinks such data to about three quarters, as it does
 * real checkpoints, and spends its time on entropy coding, not on long matches. (Repeating one random 1 MiB block,
 * as the first version of this bench did, lets zstd match the previous block in its 2 MiB window: compression then
 * looks several times cheaper than it is on weights.)
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MIB = 1024 * 1024;

/** fillBf16Like fills `block` with bf16-like little-endian values (see the top of this file). */
function fillBf16Like(block: Buffer): void {
  randomFillSync(block);
  for (let i = 1; i < block.length; i += 2) block[i] = (block[i]! & 0x81) | 0x3c;
}

/** writeShards writes `totalBytes` of bf16-like weights as `shards` safetensors-named files and returns their names. */
export function writeShards(dir: string, totalBytes: number, shards: number): string[] {
  const names: string[] = [];
  const block = Buffer.allocUnsafe(MIB);
  const base = Math.floor(totalBytes / shards);
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const size = s === shards - 1 ? totalBytes - base * (shards - 1) : base;
    const fd = openSync(join(dir, name), 'w');
    try {
      for (let done = 0; done < size; ) {
        fillBf16Like(block);
        const n = Math.min(MIB, size - done);
        for (let w = 0; w < n; ) w += writeSync(fd, block, w, n - w);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    names.push(name);
  }
  return names;
}

/**
 * rawPutScript is a shell script that uploads every blob of an OCI layout to a registry with curl: POST for an
 * upload session, then one monolithic PUT of the file (the floor for pushing the same bytes over HTTP).
 */
export function rawPutScript(host: string, blobsDir: string, hexes: string[]): string {
  return hexes
    .map((hex) => {
      const file = JSON.stringify(join(blobsDir, hex));
      return [
        `loc=$(curl -sS -f -X POST -D - -o /dev/null http://${host}/v2/raw/blobs/uploads/ | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')`,
        `case "$loc" in http*) ;; *) loc="http://${host}$loc";; esac`,
        `case "$loc" in *\\?*) sep='&';; *) sep='?';; esac`,
        `curl -sS -f -X PUT -H 'Content-Type: application/octet-stream' -T ${file} -o /dev/null "$loc\${sep}digest=sha256:${hex}" || exit 1`,
      ].join('; ');
    })
    .join('\n');
}

/** hexOf is the sha256 of a file, in hex (by sha256sum: the pins of the HTTP spec). */
export function hexOf(path: string): string {
  return spawnSync('sha256sum', [path], { encoding: 'utf8' }).stdout.split(' ')[0]!;
}

/** totalSize sums the sizes of the files directly in `dir`. */
export function totalSize(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** warm reads a file once, so that ours and the reference after it both find it in the page cache. */
export function warm(path: string): void {
  spawnSync('sh', ['-c', `cat ${JSON.stringify(path)} > /dev/null`]);
}
