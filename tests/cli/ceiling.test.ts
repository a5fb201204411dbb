// `npm run ceiling` as a user runs it: a bad flag or a missing checkpoint says what is wrong; a short run prints a row per split.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function ceiling(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/decision-ceiling.ts', ...args]);
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('npm run ceiling', () => {
  it('names the bad flag or the missing checkpoint file', async () => {
    const steps = await ceiling('--steps', 'many');
    expect(steps.code).toBe(1);
    expect(steps.stderr).toContain('--steps must be an integer');
    const from = await ceiling('--from', 'no/such/dir', '--steps', '1');
    expect(from.code).toBe(1);
    expect(from.stderr).toContain('no/such/dir/manifest.json');
  });

  it('runs a short ceiling and prints one row of figures per split, train then dev', async () => {
    const { stdout, code } = await ceiling('--steps', '1', '--eval-n', '3');
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((l) => /^(train|dev) \| /.test(l));
    expect(rows.map((l) => l.split(' ')[0])).toEqual(['train', 'dev']);
    for (const row of rows) expect(row.split('|')).toHaveLength(4);
  }, 120_000);
});
