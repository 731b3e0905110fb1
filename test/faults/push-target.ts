/**
 * `bundle push` of a small fixture bundle (a model whose weights are one blob of `bigSize` bytes, plus the demo
 * image) into a real distribution 2.8, through the proxy; each case under its own repository prefix. The big body
 * is the monolithic PUT of the weights blob. Success is read back with skopeo (manifest digests equal to the
 * bundle's, every blob checked as it is copied out); after a failure, the model has no tag and the registry holds
 * the weights blob whole or not at all.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, runTool } from '../support/cli.js';
import type { RequestInfo } from '../support/fault-proxy.js';
import { writeFixtureSpec } from '../support/fixture-bundle.js';
import { startRegistry } from '../support/registry.js';
import type { CaseRun, FaultTarget } from './fault-target.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The model's repository and tag under a prefix, as `bundle push` maps `models/big:1.2.3`. */
const MODEL = { repository: 'models/big', tag: '1.2.3' };

/** startPushTarget starts a registry and builds the fixture bundle in `work`. */
export async function startPushTarget(work: string, bigSize: number): Promise<FaultTarget> {
  const reg = await startRegistry();
  const fx = await writeFixtureSpec(join(work, 'push-spec'), { bigSize });
  const bundle = join(work, 'push.tar');
  const built = await runCli(['build', fx.spec, '--out', bundle, '--cache', join(work, 'push-cache'), '--json']);
  if (built.code !== 0) throw new Error(`fixture build failed: ${built.stderr}`);
  const digests = new Map((JSON.parse(built.stdout) as { artifacts: Array<{ ref: string; digest: string }> }).artifacts.map((a) => [a.ref, a.digest]));
  const weights = sha256(fx.bigFile);

  /** blobProblems: the registry holds the weights blob byte for byte, or (`absentOk`) not at all. */
  const blobProblems = async (repo: string, absentOk: boolean): Promise<string[]> => {
    const res = await fetch(`http://${reg.host}/v2/${repo}/blobs/${weights}`);
    if (res.status === 404) return absentOk ? [] : [`${repo} lacks the weights blob`];
    const got = sha256(Buffer.from(await res.arrayBuffer()));
    return got === weights ? [] : [`${repo} serves ${got} for the weights blob ${weights}`];
  };

  return {
    upstream: reg.host,
    direction: 'request',
    bigBody: (q: RequestInfo) => q.method === 'PUT' && q.url.includes('/blobs/uploads/') && Number(q.headers['content-length'] ?? 0) === bigSize,
    run: async (proxy, name, flags = []): Promise<CaseRun> => {
      const prefix = name;
      const modelRepo = `${prefix}/${MODEL.repository}`;
      const result = await runCli(['push', bundle, '--registry', `${proxy.host}/${prefix}`, '--plain-http', '--json', ...flags]);
      return {
        result,
        subjects: [proxy.host],
        successProblems: async () => {
          const problems: string[] = [];
          const report = JSON.parse(result.stdout) as { references: Array<{ ref: string; reference: string; digest: string }> };
          const pushed = report.references.map((r) => r.ref).sort();
          if (pushed.join() !== [...digests.keys()].sort().join()) problems.push(`pushed ${pushed.join(', ')}, not every artifact of the bundle`);
          for (const ref of report.references) {
            if (ref.digest !== digests.get(ref.ref)) problems.push(`${ref.ref} pushed as ${ref.digest}, the bundle has ${digests.get(ref.ref)}`);
            const raw = await runTool('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref.reference.replace(proxy.host, reg.host)}`]);
            if (raw.code !== 0) problems.push(`skopeo inspect ${ref.reference}: ${raw.stderr}`);
            else if (sha256(Buffer.from(raw.stdout)) !== ref.digest) problems.push(`${ref.reference} serves manifest ${sha256(Buffer.from(raw.stdout))}, not ${ref.digest}`);
          }
          // skopeo checks every blob against its digest as it copies: the weights arrived byte for byte.
          const dest = join(work, `copy-${name}`);
          await mkdir(dest, { recursive: true });
          const copy = await runTool('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/${modelRepo}:${MODEL.tag}`, `oci:${dest}:x`]);
          if (copy.code !== 0) problems.push(`skopeo copy ${modelRepo}: ${copy.stderr}`);
          return [...problems, ...(await blobProblems(modelRepo, false))];
        },
        leftoverProblems: async () => {
          const res = await fetch(`http://${reg.host}/v2/${modelRepo}/tags/list`);
          const tags = res.status === 404 ? [] : (((await res.json()) as { tags?: string[] | null }).tags ?? []);
          return [...(tags.length > 0 ? [`${modelRepo} is tagged ${tags.join(', ')} after a failed push`] : []), ...(await blobProblems(modelRepo, true))];
        },
      };
    },
    stop: () => reg.stop(),
  };
}
