import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { copySample } from '../../src/ml/copy-task';

describe('copySample', () => {
  it('is a string of ordinary tokens, then the same string, scored on the repeat after its first token', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const { ids, mask } = copySample(rng, 12, 300);
      const n = ids.length / 2;
      expect(Number.isInteger(n) && n >= 10 && n <= 50).toBe(true);
      expect(ids.slice(n)).toEqual(ids.slice(0, n));
      expect(ids.every((id) => id >= 12 && id < 300)).toBe(true);
      expect(mask).toEqual([...Array(n + 1).fill(0), ...Array(n - 1).fill(1)]);
    }
  });

  it('is seeded', () => {
    expect(copySample(new Rng(5), 12, 300)).toEqual(copySample(new Rng(5), 12, 300));
    expect(copySample(new Rng(5), 12, 300)).not.toEqual(copySample(new Rng(6), 12, 300));
  });

  it('draws some strings from small alphabets, where one-token matches are ambiguous', () => {
    const rng = new Rng(8);
    const distinct = Array.from({ length: 200 }, () => new Set(copySample(rng, 0, 1000).ids).size);
    expect(distinct.some((d) => d <= 6)).toBe(true);
    expect(distinct.some((d) => d > 20)).toBe(true);
  });

  it('refuses a vocabulary without two ordinary tokens', () => {
    expect(() => copySample(new Rng(1), 12, 13)).toThrow(/at least 2 ordinary tokens/);
  });
});
