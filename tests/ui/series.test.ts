import { describe, expect, it } from 'vitest';
import { scorePolicy } from '../../src/core/score';
import { execute, oracle } from '../../src/core/policies';
import { getPreset } from '../../src/core/reward';
import { chartDefs, chartValues, ema, provisionalPoint, rollingMatrices } from '../../src/app/series';
import { CLASS_COLORS } from '../../src/app/palette';
import type { IterationMetrics } from '../../src/ml/grpo';

const extra = { loss: 0.5, kl: 0.01, approxKl: 0.002, entropy: 2, clipFraction: 0, rolloutTokensPerSecond: 100, trainTokensPerSecond: 200, seconds: 3, backend: 'wasm' };

describe('smoothing', () => {
  it('is a debiased moving average: the first point is itself, a constant stays constant, gaps stay gaps', () => {
    expect(ema([4], 0.6)).toEqual([4]);
    expect(ema([2, 2, 2, 2], 0.9).map((v) => Number(v?.toFixed(12)))).toEqual([2, 2, 2, 2]);
    const s = ema([0, 10, null, 10], 0.5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(10 * 0.5 / (1 - 0.25), 10);
    expect(s[2]).toBeNull();
    expect(s[3]).toBeGreaterThan(s[1] as number);
    expect(ema([1, 5, 3], 0)).toEqual([1, 5, 3]);
    expect(() => ema([1], 1)).toThrow('ema: weight must be in [0, 1), got 1');
  });
});

describe('decision matrices over a rolling window', () => {
  it('add up the counts of the last iterations and say which', async () => {
    const paper = getPreset('paper');
    const a = (await scorePolicy({ split: 'train', n: 30, seed: 2, policy: oracle('paper'), preset: paper })).metrics;
    const b = (await scorePolicy({ split: 'train', n: 30, seed: 3, policy: execute(), preset: paper })).metrics;
    const history: IterationMetrics[] = [a, b, a, b, a, b].map((m, i) => ({ ...m, ...extra, iteration: i + 1 }));
    const w = rollingMatrices(history, 5)!;
    expect([w.from, w.to]).toEqual([2, 6]);
    expect(w.count).toBe(2 * a.count + 3 * b.count);
    expect(w.userMatrix.malicious.refuse).toBe(2 * a.userMatrix.malicious.refuse + 3 * b.userMatrix.malicious.refuse);
    expect(w.toolMatrix.malicious.execute).toBe(2 * a.toolMatrix.malicious.execute + 3 * b.toolMatrix.malicious.execute);
    // One iteration: its own matrices.
    expect(rollingMatrices(history.slice(0, 1))!.userMatrix).toEqual(a.userMatrix);
    expect(rollingMatrices([])).toBeNull();
  });
});

describe('chart colours', () => {
  it('a class has the same colour in every chart; the safety chart is in percent', () => {
    const defs = chartDefs([]);
    for (const c of ['benign', 'malicious', 'sensitive'] as const) {
      const colours = new Set(defs.flatMap((d) => d.series.filter((s) => s.label === c).map((s) => s.color)));
      expect([...colours]).toEqual([CLASS_COLORS[c]]);
    }
    expect(defs.find((d) => d.id === 'safety')?.percent).toBe(true);
  });
});

describe('the iteration in progress', () => {
  it('is a point with the metrics of its ended rollouts and gaps where the update has not measured yet', async () => {
    const partial = (await scorePolicy({ split: 'train', n: 12, seed: 4, policy: oracle('paper'), preset: getPreset('paper') })).metrics;
    const done: IterationMetrics = { ...partial, ...extra, iteration: 1 };
    const points = [done, provisionalPoint(2, partial)];
    const series = chartDefs(points).flatMap((c) => c.series);
    const of = (key: string): (number | null)[] => chartValues(points, series.find((s) => s.key === key)!.get);
    expect(of('reward.total')).toEqual([partial.reward.total, partial.reward.total]);
    expect(of('taskDone')).toEqual([partial.taskSuccessRate! * 100, partial.taskSuccessRate! * 100]);
    expect(of('kl')).toEqual([0.01, null]);
    expect(of('entropy')).toEqual([2, null]);
  });
});
