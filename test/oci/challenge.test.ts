import { describe, expect, it } from 'vitest';
import { parseChallenge } from '../../src/oci/index.js';
import { nextLink } from '../../src/oci/link-header.js';

describe('parseChallenge', () => {
  it('parses a Bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' },
    });
  });

  it('parses Basic, unquoted values, odd spacing and escapes', () => {
    expect(parseChallenge('Basic realm="basic-realm"')).toEqual({ scheme: 'basic', params: { realm: 'basic-realm' } });
    expect(parseChallenge('bearer realm=https://h/token , service=svc,error="insufficient_scope"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://h/token', service: 'svc', error: 'insufficient_scope' },
    });
    expect(parseChallenge('Bearer realm="a\\"b"')?.params.realm).toBe('a"b');
  });

  it('keeps the first of several challenges', () => {
    expect(parseChallenge('Bearer realm="r1",service="s", Basic realm="r2"')).toEqual({ scheme: 'bearer', params: { realm: 'r1', service: 's' } });
  });

  it('returns undefined without a header', () => {
    expect(parseChallenge(undefined)).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('nextLink', () => {
  const base = new URL('https://reg.example/v2/_catalog?n=2');
  it('resolves a relative next link', () => {
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', base)?.href).toBe('https://reg.example/v2/_catalog?last=b&n=2');
  });
  it('finds next among several links, or nothing', () => {
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/next>; rel=next', base)?.href).toBe('https://x/next');
    expect(nextLink('<https://x/prev>; rel="prev"', base)).toBeUndefined();
    expect(nextLink(undefined, base)).toBeUndefined();
  });
});
