import { describe, expect, it } from 'vitest';
import { apiHost, formatReference, parseReference } from '../../src/oci/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['bitnami/redis', { registry: 'docker.io', repository: 'bitnami/redis', tag: 'latest' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['index.docker.io/library/alpine:1', { registry: 'docker.io', repository: 'library/alpine', tag: '1' }],
    ['host:5000/a/b:tag', { registry: 'host:5000', repository: 'a/b', tag: 'tag' }],
    ['localhost/model', { registry: 'localhost', repository: 'model', tag: 'latest' }],
    ['registry.local/team/model', { registry: 'registry.local', repository: 'team/model', tag: 'latest' }],
    [`ghcr.io/org/img@${DIGEST}`, { registry: 'ghcr.io', repository: 'org/img', digest: DIGEST }],
    [`ghcr.io/org/img:v1@${DIGEST}`, { registry: 'ghcr.io', repository: 'org/img', tag: 'v1', digest: DIGEST }],
    ['oci://127.0.0.1:5000/models/llama:8b', { registry: '127.0.0.1:5000', repository: 'models/llama', tag: '8b' }],
    ['[::1]:5000/a:b', { registry: '[::1]:5000', repository: 'a', tag: 'b' }],
    ['my_org/my-model__x.y', { registry: 'docker.io', repository: 'my_org/my-model__x.y', tag: 'latest' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it('leaves the tag out when asked', () => {
    expect(parseReference('host:5000/a', { defaultTag: null })).toEqual({ registry: 'host:5000', repository: 'a' });
  });

  it.each([
    ['', /empty/],
    ['Alpine', /lowercase/],
    ['host:5000/Team/x', /lowercase/],
    ['a//b', /path component/],
    ['a/b:-tag', /not a valid tag/],
    ['a@sha256:1234', /not a sha256 digest/],
    ['a@sha512:' + 'a'.repeat(128), /not a sha256 digest/],
    ['host:5000/a/b-', /path component/],
  ])('rejects %j with REFERENCE_INVALID', (input, why) => {
    expect(() => parseReference(input)).toThrow(why);
    try {
      parseReference(input);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('REFERENCE_INVALID');
    }
  });

  it('formats back, and maps docker.io to its API host', () => {
    expect(formatReference(parseReference('alpine'))).toBe('docker.io/library/alpine:latest');
    expect(formatReference(parseReference(`h:1/a:t@${DIGEST}`))).toBe(`h:1/a:t@${DIGEST}`);
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('h:1')).toBe('h:1');
  });
});
