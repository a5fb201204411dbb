// The Python reward module's own tests (tests/python, standard-library unittest), run as part of npm test.
// Without python3 this fails and says so: the exported module is part of the product.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

describe('python/asp_reward.py', () => {
  it('passes its unittest suite (tests/python)', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', join('tests', 'python'), '-v'], { cwd: ROOT, encoding: 'utf8' });
    if (run.error) throw new Error(`python3 could not be run (${run.error.message}): install Python 3 to test the exported reward module`);
    const ran = /^Ran (\d+) tests? in /m.exec(run.stderr);
    expect(run.status, run.stderr).toBe(0);
    expect(Number(ran?.[1] ?? 0), run.stderr).toBeGreaterThanOrEqual(8);
    expect(run.stderr).toMatch(/^OK$/m);
  });
});
