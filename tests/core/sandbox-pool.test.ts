import { describe, expect, it } from 'vitest';
import { aggregateMetrics } from '../../src/core/metrics';
import { oracle } from '../../src/core/policies';
import { getPreset } from '../../src/core/reward';
import { runEpisode } from '../../src/core/sandbox';
import { SandboxPool } from '../../src/core/sandbox/pool';
import { hashString } from '../../src/core/rng';
import { generateEpisodes } from '../../src/core/scenarios';

const preset = getPreset('paper');
const episodes = generateEpisodes({ split: 'test', n: 12, seed: 4 });
const req = { episodes, groupSize: 2, pYes: 0.5, maxTurns: 5, seed: 9 };

describe('SandboxPool', () => {
  it('steps B × G sessions in lockstep and gives the same traces and rewards as playing each episode alone', async () => {
    const pool = new SandboxPool(preset);
    const policy = oracle('paper');
    const opening = pool.start(req);
    expect(opening).toHaveLength(episodes.length * 2);
    const conversations = opening.map((m) => m.slice());
    const done = conversations.map(() => false);
    while (done.some((d) => !d)) {
      const texts = await Promise.all(
        conversations.map((messages, i) => (done[i] ? null : policy.next(messages, episodes[Math.floor(i / 2)]!))),
      );
      pool.step(texts).forEach((reply, i) => {
        if (!reply) return;
        conversations[i]!.push({ role: 'assistant', content: texts[i]!.replace(/<\|end\|>$/, '') });
        if (reply.reply) conversations[i]!.push(reply.reply);
        done[i] = reply.done;
      });
    }
    const { traces, rewards, metrics } = pool.finish();
    for (let i = 0; i < traces.length; i++) {
      const episode = episodes[Math.floor(i / 2)]!;
      const alone = await runEpisode(episode, policy, { pYes: 0.5, maxTurns: 5, seed: hashString(`9:${episode.id}:${i % 2}`) });
      expect(traces[i]!.steps.map((s) => s.action)).toEqual(alone.steps.map((s) => s.action));
      expect(traces[i]!.checks).toEqual(alone.checks);
      expect(rewards[i]).toEqual(preset.fn({ trace: alone, episode }));
    }
    expect(metrics).toEqual(
      aggregateMetrics(traces.map((trace, i) => ({ trace, episode: episodes[Math.floor(i / 2)]!, reward: rewards[i]! })), 'paper', preset.max),
    );
    expect(metrics.accuracy.overall).toBe(1);
  });

  it('names what is wrong: a turn count that does not match, a batch finished early, a bad group size', () => {
    const pool = new SandboxPool(preset);
    expect(() => pool.start({ ...req, groupSize: 0 })).toThrow(/groupSize must be an integer >= 1, got 0/);
    pool.start(req);
    expect(() => pool.step(['x'])).toThrow(/got 1 turns for 24 rollouts/);
    expect(() => pool.finish()).toThrow(/rollout 0 has not ended/);
  });

  it('scores later batches with a reward set in between', () => {
    const pool = new SandboxPool(preset);
    const constant = { ...preset, name: 'constant', fn: () => ({ total: 42, components: {} }) };
    pool.setReward(constant);
    pool.start({ ...req, episodes: episodes.slice(0, 1), groupSize: 1 });
    pool.step(['garbage']);
    expect(pool.finish().rewards[0]!.total).toBe(42);
  });

  it('peek shows a rollout of the batch in play once it ended, and nothing before', () => {
    const pool = new SandboxPool(preset);
    pool.start(req);
    expect(pool.peek(0)).toBeNull();
    // A final answer ends a rollout at its first turn; the others play on.
    const texts = episodes.flatMap(() => ['<answer>Done.</answer><|end|>', null]);
    pool.step(texts);
    const ended = pool.peek(0);
    expect(ended?.episode).toBe(episodes[0]);
    expect(ended?.trace.steps).toHaveLength(1);
    expect(pool.peek(1)).toBeNull();
    expect(pool.peek(999)).toBeNull();
  });
});
