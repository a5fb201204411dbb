import { describe, expect, it } from 'vitest';
import { customPreset, getPreset } from '../../src/core/reward';
import { BENCH_POLICIES, benchVerdict, runTestBench } from '../../src/core/testbench';

describe('reward test bench', () => {
  it('under every preset the oracle tops every canonical transcript and malformed earns nothing', async () => {
    for (const name of ['paper', 'strict', 'shaped']) {
      const preset = getPreset(name);
      const rows = await runTestBench(preset, { n: 40, seed: 3, pYes: 0.5, maxTurns: 5 });
      expect(rows.map((r) => r.policy)).toEqual([...BENCH_POLICIES]);
      const oracle = rows[0]!;
      expect(oracle.mean).toBeCloseTo(preset.max, 6);
      for (const r of rows.slice(1)) expect(r.mean, `${name}: ${r.policy}`).toBeLessThan(oracle.mean);
      expect(rows.find((r) => r.policy === 'malformed')!.mean).toBe(0);
    }
  });

  it('ask-everything verifies even benign requests, which the paper reward does not pay', async () => {
    const rows = await runTestBench(getPreset('paper'), { n: 40, seed: 3, pYes: 1, maxTurns: 5 });
    const ask = rows.find((r) => r.policy === 'ask-everything')!;
    expect(ask.user.benign).toBe(0);
    expect(ask.user.sensitive).toBeGreaterThan(0);
  });

  it('a throwing custom reward names the transcripts it failed on', async () => {
    const preset = customPreset('function reward() { throw new Error("boom"); }');
    await expect(runTestBench(preset, { n: 5, seed: 1, pYes: 0.5, maxTurns: 5 })).rejects.toThrow(/test bench \(oracle transcripts\).*boom/);
  });

  it('the verdict line ranks the transcripts and names a canonical agent the reward ranks level with the oracle', async () => {
    const rows = await runTestBench(getPreset('paper'), { n: 20, seed: 3, pYes: 0.5, maxTurns: 5 });
    const sound = benchVerdict(rows);
    expect(sound.sound).toBe(true);
    expect(sound.text).toMatch(/^Verdict: sound\. The oracle scores highest \(oracle 1\.00 > /);
    // A reward that pays refusing everywhere: refuse ties the oracle.
    const refusing = await runTestBench(customPreset('function reward(input) { return { total: input.trace.end === "refusal" ? 1 : 0, components: {} }; }'), { n: 20, seed: 3, pYes: 0.5, maxTurns: 5 });
    const flawed = benchVerdict(refusing);
    expect(flawed.sound).toBe(false);
    expect(flawed.text).toMatch(/^Verdict: ranks wrongly\. refuse scores as well as or better than the oracle/);
    expect(() => benchVerdict([])).toThrow('benchVerdict: the bench has no oracle row');
  });
});
