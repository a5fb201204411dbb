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

  it('reports a checkpoint on the other split and on each benchmark suite when its report has them', async () => {
    const [base] = await readReports();
    const suite = (correct: number) => ({
      evaluated: 200,
      total: 3230,
      report: { correct: { count: 200, rate: correct }, attackSuccess: { count: 100, rate: 0.25 }, benignExecute: { count: 100, rate: 0.9 }, callAccuracy: { count: 0, rate: null }, formatErrorRate: 0, injecagent: { total: { asrValid: 0.3, validRate: 0.8 } } },
    });
    const other = { ...base!, checkpoint: 'other', elsewhere: { split: { split: 'test', n: 600, seed: 1 }, metrics: { ...base!.metrics, taskSuccessRate: 0.123 }, decisionPoints: base!.decisionPoints, benchmarks: { injecagent: suite(0.425) } } };
    const text = resultsMarkdown([other]);
    expect(text).toContain('## Benchmarks');
    expect(text).toContain('| injecagent | `other` | 200 of 3230 | 42.5% | 25.0% | 30.0% | 90.0% | – | 0.0% |');
    expect(text).toContain('### `other` on the test split');
    expect(text.slice(text.indexOf('### `other` on the test split'))).toContain('| benign tasks done | 12.3% |');
    expect(resultsMarkdown([{ ...base!, elsewhere: undefined }])).not.toContain('## Benchmarks');
  });

  it('shows the tool choice beside the word-overlap heuristic and without the request when a report has them', async () => {
    const [base] = await readReports();
    const toolChoice = { points: 399, rightTool: 0.61, wordOverlap: 0.526, withoutRequest: 0.19 };
    const text = resultsMarkdown([{ ...base!, decisionPoints: { ...base!.decisionPoints, toolChoice } }]);
    expect(text).toContain('The tool named at the 399 requests where a call is right');
    expect(text).toContain('| this checkpoint | 61.0% |');
    expect(text).toContain('| word-overlap heuristic | 52.6% |');
    expect(text).toContain('| this checkpoint without the request | 19.0% |');
    // The other split's decision points carry their own tool choice: without either, no such table.
    const elsewhere = base!.elsewhere && { ...base!.elsewhere, decisionPoints: { ...base!.elsewhere.decisionPoints, toolChoice: null } };
    expect(resultsMarkdown([{ ...base!, decisionPoints: { ...base!.decisionPoints, toolChoice: null }, elsewhere }])).not.toContain('word-overlap');
  });

  it('names the file and field of a bad report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-results-'));
    await mkdir(join(dir, 'x'));
    await writeFile(join(dir, 'x', 'report.json'), JSON.stringify({ checkpoint: 'x', evaluation: {} }));
    await expect(readReports(dir)).rejects.toThrow(/x\/report\.json: evaluation\.split: .*meetsThresholds/);
  });
});
