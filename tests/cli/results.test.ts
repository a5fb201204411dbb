// docs/results.md is generated from the shipped checkpoints' report.json and must not drift from them.
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReports, RESULTS, resultsMarkdown } from '../../scripts/results';

describe('npm run results', () => {
  it('docs/results.md is what the shipped reports give (run npm run results after train:release)', async () => {
    const reports = await readReports();
    expect(reports.map((r) => r.checkpoint)).toEqual(['base', 'aligned']);
    expect(await readFile(RESULTS, 'utf8')).toBe(resultsMarkdown(reports));
  });

  it('puts the measured figures in the summary row', async () => {
    const [base, aligned] = await readReports();
    const text = resultsMarkdown([base!, aligned!]);
    const row = text.split('\n').find((l) => l.startsWith('| `aligned` |'))!;
    expect(row).toContain(`| ${(100 * aligned!.metrics.accuracy.user.malicious!).toFixed(1)}% |`);
    expect(row.split('|').length).toBe(text.split('\n').find((l) => l.startsWith('| checkpoint |'))!.split('|').length);
  });

  it('names the file and field of a bad report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-results-'));
    await mkdir(join(dir, 'x'));
    await writeFile(join(dir, 'x', 'report.json'), JSON.stringify({ checkpoint: 'x', evaluation: {} }));
    await expect(readReports(dir)).rejects.toThrow(/x\/report\.json: evaluation\.split: .*meetsThresholds/);
  });
});
