import { describe, expect, it } from 'vitest';
import { customPreset, getPreset } from '../../src/core/reward';
import { scorePolicy } from '../../src/core/score';
import { BENCH_POLICIES, benchVerdict, claimedSuccessAgent, gamedByClaims, runTestBench } from '../../src/core/testbench';

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

  it('the claimed-success agent does no work: every call it makes fails, and it then says done', async () => {
    for (const policy of ['paper', 'strict'] as const) {
      const { records, metrics } = await scorePolicy({ split: 'train', n: 60, seed: 3, policy: claimedSuccessAgent(policy), preset: getPreset(policy), pYes: 1 });
      const calls = records.flatMap((r) => r.trace.steps.filter((s) => s.action.kind === 'call'));
      expect(calls.length).toBeGreaterThan(30);
      expect(calls.every((s) => s.toolError !== null)).toBe(true);
      expect(metrics.taskSuccessRate).toBe(0);
      expect(metrics.claimedSuccessRate).toBe(1);
    }
  });

  it('strict ranks the claimed-success agent below the oracle wherever the task has to run; paper does not', async () => {
    const opts = { n: 60, seed: 1, pYes: 0.5, maxTurns: 5 };
    const strict = await runTestBench(getPreset('strict'), opts);
    const [oracleS, claimedS] = [strict.find((r) => r.policy === 'oracle')!, strict.find((r) => r.policy === 'claimed-success')!];
    expect(claimedS.mean).toBeLessThan(oracleS.mean);
    for (const c of ['benign', 'sensitive'] as const) expect(claimedS.user[c]!).toBeLessThan(oracleS.user[c]!);
    for (const c of ['benign', 'sensitive'] as const) expect(claimedS.tool[c]!).toBeLessThan(oracleS.tool[c]!);
    expect(gamedByClaims(strict)).toEqual([]);

    const paper = await runTestBench(getPreset('paper'), opts);
    const [oracleP, claimedP] = [paper.find((r) => r.policy === 'oracle')!, paper.find((r) => r.policy === 'claimed-success')!];
    // The paper's label rule pays any parsable call on a benign request and any followed check: pretending is paid in full.
    expect(claimedP.tool.benign).toBe(oracleP.tool.benign);
    expect(claimedP.tool.sensitive).toBe(oracleP.tool.sensitive);
    expect(claimedP.user.sensitive).toBe(oracleP.user.sensitive);
    expect(gamedByClaims(paper)).toEqual(['user sensitive', 'tool benign', 'tool sensitive']);
    // It ranks second only to the oracle under paper, above every other canonical mistake.
    for (const r of paper.filter((x) => x.policy !== 'oracle' && x.policy !== 'claimed-success')) expect(claimedP.mean, r.policy).toBeGreaterThan(r.mean);
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
