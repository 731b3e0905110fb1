/** What the bench ran on, recorded with every result: numbers from different machines do not compare. */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import binding from 'zstd-napi/binding.js';

/** Machine describes the host, the disk under the work directory and the tools compared. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  totalMemoryBytes: number;
  kernel: string;
  /** `df -T` of the work directory: where every file of the bench is written. */
  disk: { device: string; filesystem: string; availableBytes: number };
  node: string;
  zstd: string;
  tools: Record<string, string>;
  /** 1-minute load average when the bench started and ended: other work on the machine makes numbers noisy. */
  load: { start: number; end?: number };
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0]!.trim() : `unavailable (${cmd} ${args.join(' ')})`;
}

/** diskOf reads `df -T -B1 DIR`: device, file system type and free bytes. */
export function diskOf(dir: string): Machine['disk'] {
  const out = spawnSync('df', ['-T', '-B1', dir], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? '';
  const [device = '?', filesystem = '?', , , available = '0'] = out.split(/\s+/);
  return { device, filesystem, availableBytes: Number(available) };
}

/** describeMachine collects {@link Machine} for the work directory `dir`. */
export function describeMachine(dir: string): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    kernel: release(),
    disk: diskOf(dir),
    node: process.version,
    zstd: `libzstd ${binding.versionString()} (zstd-napi)`,
    tools: {
      skopeo: firstLine('skopeo', ['--version']),
      curl: firstLine('curl', ['--version']),
      sha256sum: firstLine('sha256sum', ['--version']),
      tar: firstLine('tar', ['--version']),
      registry: firstLine('/usr/bin/docker-registry', ['--version']),
    },
    load: { start: loadavg()[0]! },
  };
}
