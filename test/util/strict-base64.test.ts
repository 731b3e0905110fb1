import { describe, expect, it } from 'vitest';
import { decodeStrictBase64 } from '../../src/util/strict-base64.js';

describe('decodeStrictBase64', () => {
  it('decodes canonical padded base64 of every length', () => {
    for (let n = 0; n < 12; n += 1) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff));
      expect(decodeStrictBase64(bytes.toString('base64'))).toEqual(bytes);
    }
  });

  it('refuses every text Node would decode to the same bytes by another spelling', () => {
    const bytes = Buffer.from([1, 2, 3, 4]);
    expect(decodeStrictBase64('AQIDBA==')).toEqual(bytes);
    for (const other of ['AQIDBA=h', 'AQIDBA', 'AQIDBB==', 'AQID BA==', 'AQIDBA==\n', 'AQIDBA===', 'AQIDBA=A']) {
      expect(Buffer.from(other, 'base64'), `Node's own decoder: ${other}`).toEqual(bytes);
      expect(decodeStrictBase64(other), other).toBeUndefined();
    }
    expect(decodeStrictBase64('AQ-DBA==')).toBeUndefined();
  });
});
