import { describe, expect, it } from 'vitest';
import { parseZarfImageRef, zarfChecksum, zarfTargetFor } from '../../zarf-compat/index.js';
import { expectCode } from '../support/matchers.js';

describe('Zarf image naming', () => {
  describe('zarfChecksum', () => {
    it('is crc32 (IEEE) of the normalized name, as Zarf computes it', () => {
      // zarf-dev/zarf src/pkg/transform/image_test.go: nginx:1.23.3 → …/library/nginx:1.23.3-zarf-3793515731
      expect(zarfChecksum('docker.io/library/nginx')).toBe(3793515731);
    });
  });

  describe('parseZarfImageRef', () => {
    it.each([
      ['nginx', 'docker.io/library/nginx:latest', 'library/nginx'],
      ['nginx:1.23.3', 'docker.io/library/nginx:1.23.3', 'library/nginx'],
      ['defenseunicorns/zarf-agent:v1', 'docker.io/defenseunicorns/zarf-agent:v1', 'defenseunicorns/zarf-agent'],
      ['index.docker.io/library/alpine:3.20', 'docker.io/library/alpine:3.20', 'library/alpine'],
      ['registry-1.docker.io/dhpup/oci-edge:1.0.6', 'registry-1.docker.io/dhpup/oci-edge:1.0.6', 'dhpup/oci-edge'],
      ['ghcr.io/stefanprodan/charts/podinfo:6.4.0', 'ghcr.io/stefanprodan/charts/podinfo:6.4.0', 'stefanprodan/charts/podinfo'],
      ['localhost:5000/a/b', 'localhost:5000/a/b:latest', 'a/b'],
      ['oci://ghcr.io/x/y:1', 'ghcr.io/x/y:1', 'x/y'],
    ])('%s → %s', (input, reference, path) => {
      const ref = parseZarfImageRef(input);
      expect(ref.reference).toBe(reference);
      expect(ref.path).toBe(path);
    });

    it('refuses what is no image reference', async () => {
      await expectCode(Promise.resolve().then(() => parseZarfImageRef('Nginx/UPPER:1')), 'REFERENCE_INVALID');
      await expectCode(Promise.resolve().then(() => parseZarfImageRef('nginx:###ZARF_PKG_TMPL_X###')), 'REFERENCE_INVALID');
    });
  });

  describe('zarfTargetFor', () => {
    it('gives the -zarf-<crc32> tag and the plain tag under the target registry', () => {
      expect(zarfTargetFor('nginx:1.23.3', '127.0.0.1:31999')).toEqual({
        repository: 'library/nginx',
        checksumTag: '1.23.3-zarf-3793515731',
        plainTag: '1.23.3',
        checksummed: '127.0.0.1:31999/library/nginx:1.23.3-zarf-3793515731',
        plain: '127.0.0.1:31999/library/nginx:1.23.3',
      });
    });
    it('keeps a registry prefix in the repository', () => {
      const t = zarfTargetFor('ghcr.io/stefanprodan/podinfo:6.4.0', 'registry.local/mirror');
      expect(t.repository).toBe('mirror/stefanprodan/podinfo');
      expect(t.checksummed).toBe(`registry.local/mirror/stefanprodan/podinfo:6.4.0-zarf-${zarfChecksum('ghcr.io/stefanprodan/podinfo')}`);
    });
    it('pins digest references without a checksum', () => {
      const digest = `sha256:${'a'.repeat(64)}`;
      const t = zarfTargetFor(`busybox:latest@${digest}`, 'r:5000');
      expect(t.checksumTag).toBeUndefined();
      expect(t.checksummed).toBe(`r:5000/library/busybox@${digest}`);
    });
  });
});
