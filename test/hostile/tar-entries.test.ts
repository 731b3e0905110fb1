/**
 * Hostile tar entries in a bundle archive: names leaving the root, links, duplicates, header sizes that lie.
 * A bundle is read in place, never extracted, so none of these can write outside a target; they are still
 * refused at open, with a code, before anything is written, because an operator may `tar -x` the same file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { buildFixture, EditableBundle, encodeTar, expectRefusedEverywhere, type TarMember, type Targets } from './craft.js';

let work: string;
let reg: RunningRegistry;
let members: TarMember[];
let targets: Targets;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'airbundle-hostile-tar-'));
  reg = await startRegistry();
  members = (await buildFixture(work)).members;
  targets = { work, registry: reg.host };
});

afterAll(async () => {
  await reg?.stop();
  await rm(work, { recursive: true, force: true });
});

/** craft writes `edit(members)` as a tar (or seekable .tar.zst) and returns its path. */
let n = 0;
async function craft(edit: (m: TarMember[]) => TarMember[], form: 'tar' | 'tar.zst' = 'tar'): Promise<string> {
  n += 1;
  const b = new EditableBundle(edit(members.map((m) => ({ ...m }))));
  return form === 'tar' ? b.writeTar(join(work, `hostile-${n}.tar`)) : b.writeTarZst(join(work, `hostile-${n}.tar.zst`));
}

/** The biggest blob member (the model weights) and its index. */
function weights(m: TarMember[]): number {
  let at = 0;
  m.forEach((x, i) => {
    if (x.body.length > m[at]!.body.length) at = i;
  });
  return at;
}

describe('tar entries whose names leave the archive root', () => {
  it('refuses a ../ entry (PATH_ESCAPE), naming it, in .tar and .tar.zst', async () => {
    for (const form of ['tar', 'tar.zst'] as const) {
      const bundle = await craft((m) => [...m, { name: 'blobs/../../../../tmp/airbundle-evil', body: Buffer.from('pwned\n') }], form);
      await expectRefusedEverywhere(bundle, { exit: 1, code: 'PATH_ESCAPE', names: /airbundle-evil/ }, targets);
    }
  });

  it('refuses an absolute entry name (PATH_ESCAPE)', async () => {
    const bundle = await craft((m) => [m[0]!, { name: '/etc/cron.d/airbundle-evil', body: Buffer.from('* * * * * root true\n') }, ...m.slice(1)]);
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'PATH_ESCAPE', names: /\/etc\/cron\.d\/airbundle-evil/ }, targets);
  });
});

describe('link entries', () => {
  it('refuses a symlink in place of a blob that points outside the root (PATH_ESCAPE)', async () => {
    const bundle = await craft((m) => {
      const i = weights(m);
      return m.map((x, j) => (j === i ? { name: x.name, body: Buffer.alloc(0), type: '2', linkName: '/etc/shadow' } : x));
    });
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'PATH_ESCAPE', names: /symbolic link.*\/etc\/shadow/ }, targets);
  });

  it('refuses a relative symlink climbing out of the root (PATH_ESCAPE)', async () => {
    const bundle = await craft((m) => [...m, { name: 'blobs/escape', body: Buffer.alloc(0), type: '2', linkName: '../../../home' }]);
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'PATH_ESCAPE', names: /blobs\/escape/ }, targets);
  });

  it('refuses a hard link to a file outside the root (PATH_ESCAPE)', async () => {
    const bundle = await craft((m) => {
      const i = weights(m);
      return m.map((x, j) => (j === i ? { name: x.name, body: Buffer.alloc(0), type: '1', linkName: '../../../../etc/passwd' } : x));
    });
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'PATH_ESCAPE', names: /hard link.*etc\/passwd/ }, targets);
  });

  it('refuses even a link that stays inside the root: bundles hold regular files only (ARCHIVE_CORRUPT)', async () => {
    const bundle = await craft((m) => [...m, { name: 'blobs/sha256/alias', body: Buffer.alloc(0), type: '2', linkName: 'other' }]);
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /blobs\/sha256\/alias.*regular files/ }, targets);
  });
});

describe('duplicate entries', () => {
  it('refuses a second bundle.json (ARCHIVE_CORRUPT): which one a tool reads must not be a matter of taste', async () => {
    const bundle = await craft((m) => {
      const manifest = m.find((x) => x.name === 'bundle.json')!;
      const evil = Buffer.from(manifest.body.toString('utf8').replace('"name": "fixture"', '"name": "evil"'));
      return [...m, { name: 'bundle.json', body: evil }];
    });
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /bundle\.json.*twice/ }, targets);
  });

  it('refuses a blob entry that appears twice, even as ./name (ARCHIVE_CORRUPT)', async () => {
    const bundle = await craft((m) => {
      const w = m[weights(m)]!;
      return [...m, { name: `./${w.name}`, body: Buffer.alloc(w.body.length, 0) }];
    });
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /twice/ }, targets);
  });
});

describe('header sizes that lie', () => {
  it('refuses an entry whose header claims more bytes than the file has (ARCHIVE_CORRUPT)', async () => {
    const bundle = await craft((m) => {
      const w = m[weights(m)]!;
      return [...m.filter((x) => x !== w), { ...w, headerSize: w.body.length + 64 * 1024 * 1024 }];
    });
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /runs past the end|truncated/ }, targets);
  });

  it('refuses an entry whose body is shorter than its header says (ARCHIVE_CORRUPT): the next "header" is body bytes', async () => {
    const bundle = await craft((m) => {
      // The entry just before the weights claims 4 KiB more: the walker lands inside the weights' random bytes.
      const i = weights(m) - 1;
      return m.map((x, j) => (j === i ? { ...x, headerSize: x.body.length + 4096 + 100 } : x));
    });
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /tar header at offset \d+ is damaged/ }, targets);
  });

  it('a size that swallows exactly the next entry (tar smuggling) hides a blob: found missing before anything is written (BLOB_NOT_FOUND)', async () => {
    let hidden = '';
    const bundle = await craft((m) => {
      const i = m.findIndex((x) => x.name === 'index.json');
      const next = m[i + 1]!;
      hidden = next.name.slice('blobs/sha256/'.length);
      // index.json's body now runs over the next header and body, and the walker resumes at the entry after.
      const swallow = Math.ceil(m[i]!.body.length / 512) * 512 + 512 + next.body.length;
      return m.map((x, j) => (j === i ? { ...x, headerSize: swallow } : x));
    });
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'BLOB_NOT_FOUND', names: new RegExp(hidden) }, targets, ['verify', 'export', 'push']);
  });

  it('refuses an entry whose header claims fewer bytes than its body (ARCHIVE_CORRUPT)', async () => {
    const bundle = await craft((m) => m.map((x) => (x.name === 'bundle.json' ? { ...x, headerSize: 10 } : x)));
    await expectRefusedEverywhere(bundle, { exit: 1, code: 'ARCHIVE_CORRUPT' }, targets);
  });

  it('refuses a tar cut in the middle of its entries, without end blocks (ARCHIVE_CORRUPT)', async () => {
    n += 1;
    const path = join(work, `cut-${n}.tar`);
    const full = encodeTar(members, { end: false });
    await writeFile(path, full.subarray(0, full.length - 1000));
    await expectRefusedEverywhere(path, { exit: 1, code: 'ARCHIVE_CORRUPT', names: /truncated/ }, targets);
  });
});
