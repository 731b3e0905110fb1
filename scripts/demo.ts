/**
 * The demo: the main job end to end on built-in content, offline, through the real `bundle` command line.
 * Makes a signing key, builds bundles/demo into a signed seekable .tar.zst cut into volumes, verifies it with
 * the public key, inspects it, exports it as an OCI layout, lays the model out as a Hugging Face cache (as a PVC
 * would get it), and renders the deploy for an in-cluster registry (no cluster or registry needed: --no-push).
 * Run: npm run demo
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const work = process.env.DEMO_DIR ?? mkdtempSync(join(tmpdir(), 'airbundle-demo-'));
const env = { ...process.env, AIRBUNDLE_PASSPHRASE: process.env.AIRBUNDLE_PASSPHRASE ?? 'demo-passphrase', AIRBUNDLE_CACHE: join(work, 'cache') };

function bundle(...args: string[]): void {
  process.stderr.write(`\n$ bundle ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'bundle.js'), ...args], { stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stderr.write(`demo: "bundle ${args[0]}" exited ${r.status}\n`);
    process.exit(r.status ?? 1);
  }
}

const key = join(work, 'demo');
const out = join(work, 'demo.tar.zst');
bundle('keygen', '--out', key);
bundle('build', join(repo, 'bundles', 'demo', 'bundle.yaml'), '--out', out, '--volume-size', '256K', '--sign', `${key}.key`);
bundle('verify', `${out}.000`, '--key', `${key}.pub`);
bundle('inspect', `${out}.parts.json`, '--key', `${key}.pub`);
bundle('export', `${out}.000`, '--oci-layout', join(work, 'layout'));
bundle('materialize', `${out}.000`, '--model', 'tiny-llm', '--layout', 'hf-cache', '--to', join(work, 'pvc'));
bundle('deploy', `${out}.000`, '--registry', 'registry.airgap.svc:5000', '--key', `${key}.pub`, '--no-push', '--render-only', join(work, 'gitops'), '--set', 'REPLICAS=2');
process.stderr.write(`\ndemo: everything is in ${work}\n`);
