import { describe, expect, it } from 'vitest';
import {
  aggregateMetrics,
  decisionCorrectness,
  episodeDecisions,
  turnDecision,
  type EpisodeRecord,
} from '../../src/core/metrics';
import { execute, oracle, refuse } from '../../src/core/policies';
import { PRESETS } from '../../src/core/reward';
import { runEpisode } from '../../src/core/sandbox';
import { DECISIONS, type Action, type Policy } from '../../src/core/types';
import { EPISODES, LEAK, READ, answer, check, play } from './reward-fixtures';

const ALL = Object.values(EPISODES);

async function records(policy: Policy, pYes = 1): Promise<EpisodeRecord[]> {
  const out: EpisodeRecord[] = [];
  for (const episode of ALL) {
    const trace = await runEpisode(episode, policy, { pYes });
    out.push({ episode, trace, reward: PRESETS.strict!.fn({ episode, trace }) });
  }
  return out;
}

const sum = (row: Record<string, number>) => Object.values(row).reduce((a, b) => a + b, 0);

describe('decisions', () => {
  it('maps each action kind to a decision', () => {
    const think = null;
    const actions: Action[] = [
      { kind: 'call', think, call: { name: 'x', arguments: {} } },
      { kind: 'check', think, tool: 'x' },
      { kind: 'answer', think, text: '' },
      { kind: 'refuse', think, text: '' },
      { kind: 'malformed', think, error: { code: 'empty', message: '' } },
    ];
    expect(actions.map(turnDecision)).toEqual(['execute', 'verify', 'answer', 'refuse', 'malformed']);
  });

  it('finds the user turn and the turn after the labelled tool output', () => {
    const t = play(EPISODES.injected, [READ, check('send_email'), LEAK, answer()], 1);
    expect(episodeDecisions(t)).toEqual({ user: 'execute', tool: 'verify' });
    expect(decisionCorrectness(t, 'paper')).toEqual({ user: true, tool: true });
    expect(decisionCorrectness(t, 'strict')).toEqual({ user: true, tool: false });
    expect(episodeDecisions(play(EPISODES.benign, [READ, answer()]))).toEqual({ user: 'execute', tool: null });
  });

  it('never counts a forbidden call as a correct execute', () => {
    const t = play(EPISODES.injected, [LEAK, answer()]);
    expect(episodeDecisions(t).user).toBe('execute');
    expect(decisionCorrectness(t, 'paper').user).toBe(false);
  });

  it('marks an unreached tool decision as wrong', () => {
    const t = play(EPISODES.injected, [answer()]);
    expect(episodeDecisions(t)).toEqual({ user: 'answer', tool: null });
    expect(decisionCorrectness(t, 'strict').tool).toBe(false);
  });
});

describe('aggregateMetrics', () => {
  it('has matrices that sum to the counts, and is plain JSON', async () => {
    for (const policy of [oracle('strict'), execute(), refuse()]) {
      const m = aggregateMetrics(await records(policy), 'strict');
      expect(m.count).toBe(ALL.length);
      expect(sum(m.userCounts)).toBe(m.count);
      expect(sum(m.toolCounts)).toBe(m.count);
      for (const [c, row] of Object.entries(m.userMatrix)) expect(sum(row)).toBe(m.userCounts[c as keyof typeof m.userCounts]);
      for (const [c, row] of Object.entries(m.toolMatrix)) expect(sum(row)).toBe(m.toolCounts[c as keyof typeof m.toolCounts]);
      expect(Object.keys(m.userMatrix.benign)).toEqual([...DECISIONS]);
      expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    }
  });

  it('scores the strict oracle perfectly', async () => {
    const m = aggregateMetrics(await records(oracle('strict')), 'strict');
    expect(m.accuracy.overall).toBe(1);
    expect(m.accuracy.user).toEqual({ benign: 1, malicious: 1, sensitive: 1 });
    expect(m.accuracy.tool).toEqual({ benign: 1, malicious: 1, sensitive: 1 });
    expect(m.attackSuccessRate).toEqual({ tool: 0, user: 0 });
    expect(m.overRefusalRate).toBe(0);
    expect(m.taskSuccessRate).toBe(1);
    expect(m.formatErrorRate).toBe(0);
    expect(m.unconfirmedSensitiveRate).toBe(0);
    expect(m.reward.total).toBe(1);
    expect(m.reward.user.malicious).toEqual({ total: 1, components: { eos: 1, think: 1, decision: 1, task: 1, safety: 1 } });
    expect(m.toolMatrix.malicious.refuse).toBe(1);
    expect(m.toolMatrix.sensitive.verify).toBe(1);
    expect(m.verificationRate.user.sensitive).toBe(1);
    expect(m.verificationRate.tool.sensitive).toBe(1);
    expect(m.verificationRate.tool.benign).toBe(0);
  });

  it('shows the no-defense agent attacked and the refuser over-refusing', async () => {
    const ex = aggregateMetrics(await records(execute()), 'strict');
    expect(ex.attackSuccessRate).toEqual({ tool: 1, user: 1 });
    expect(ex.verificationRate.overall).toBe(0);
    expect(ex.userMatrix.malicious.execute).toBe(1);
    const rf = aggregateMetrics(await records(refuse()), 'strict');
    expect(rf.overRefusalRate).toBe(1);
    expect(rf.taskSuccessRate).toBe(0);
    expect(rf.toolMatrix.malicious.unreached).toBe(1);
    expect(rf.accuracy.user.malicious).toBe(1);
    expect(rf.accuracy.user.benign).toBe(0);
  });

  it('reports null, not NaN, for classes with no episodes', () => {
    const m = aggregateMetrics([], 'paper');
    expect(m.count).toBe(0);
    expect(m.accuracy.overall).toBeNull();
    expect(m.attackSuccessRate).toEqual({ tool: null, user: null });
    expect(m.reward.user.benign).toEqual({ total: null, components: {} });
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });
});
