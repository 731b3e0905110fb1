import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('--timeout', () => {
  it.each(['abc', '0', '-5', ''])('refuses %j as usage (exit 2), naming the flag, before any connection', async (value) => {
    for (const command of [
      ['push', 'nothing.tar', '--registry', '127.0.0.1:9'],
      ['build', 'nothing.yaml', '--out', 'nothing.tar'],
    ]) {
      const r = await runCli([...command, '--timeout', value]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('error [USAGE]');
      expect(r.stderr).toContain(`--timeout ${value}`);
    }
  });
});
