// Live progress and pause inside a GRPO iteration: every rollout is announced as it ends, and an aborted signal
// stops the iteration before its update, leaving the policy and the iteration count as they were.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { oracle } from '../../src/core/policies';
import { renderConversation } from '../../src/core/protocol';
import { getPreset } from '../../src/core/reward';
import { runEpisode } from '../../src/core/sandbox';
import { SandboxPool } from '../../src/core/sandbox/pool';
import { chooseBackend } from '../../src/ml/backend';
import { GrpoTrainer } from '../../src/ml/grpo';
import { TransformerLM } from '../../src/ml/model';
import { collectRollouts } from '../../src/ml/rollout';
import { trainTokenizer, type Tokenizer } from '../../src/ml/tokenizer';
import { TOOLS, tinyEpisode } from '../core/fixtures';

const config = parseRunConfig({
  model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 384, vocabSize: 400 },
  grpo: { episodesPerIteration: 2, groupSize: 2, rolloutsPerPass: 4, maxNewTokens: 12, updatesPerIteration: 1 },
  maxTurns: 3,
});
const tools = [TOOLS.readFile, TOOLS.deleteFile];
const episodes = [tinyEpisode({ tools }), tinyEpisode({ id: 'test-2', seed: 9, tools, labels: { user: 'malicious', tool: 'none' } })];
const opts = { groupSize: 2, maxTurns: 3, pYes: 0.5, maxNewTokens: 40, temperature: 1, topK: 0, seed: 5, decoding: 'constrained' as const };
let tokenizer: Tokenizer;

beforeAll(async () => {
  await chooseBackend({ prefer: 'wasm' });
  const transcripts = await Promise.all(episodes.map((e) => runEpisode(e, oracle('paper'), { seed: 1 })));
  tokenizer = trainTokenizer(transcripts.map((t) => renderConversation(t.messages)), { vocabSize: config.model.vocabSize });
});

describe('rollout progress', () => {
  it('announces each rollout once as it ends, counting up to the batch, with the rollout that ended', async () => {
    const model = new TransformerLM({ ...config.model, vocabSize: tokenizer.vocabSize, seed: 3 });
    const pool = new SandboxPool(getPreset('paper'));
    const heard: { done: number; total: number; index: number; ended: boolean }[] = [];
    const { rollouts } = await collectRollouts(model, tokenizer, pool, episodes, {
      ...opts,
      // The sandbox already holds the ended rollout's trace when it is announced (the page's ticker reads it).
      onRollout: (done, total, index) => heard.push({ done, total, index, ended: pool.peek(index) !== null }),
    });
    expect(heard.map((h) => h.done)).toEqual([1, 2, 3, 4]);
    expect(heard.every((h) => h.total === 4 && h.ended)).toBe(true);
    expect(heard.map((h) => h.index).sort()).toEqual([0, 1, 2, 3]);
    // Announced in the order they ended: no rollout announced at a turn before its last one.
    const turnsOf = heard.map((h) => (rollouts[h.index] as (typeof rollouts)[number]).trace.steps.length);
    expect(turnsOf).toEqual([...turnsOf].sort((a, b) => a - b));
    model.dispose();
  });

  it('an aborted signal stops the iteration before its update: same weights, same iteration, and it replays alike', async () => {
    const policy = new TransformerLM({ ...config.model, vocabSize: tokenizer.vocabSize, seed: 3 });
    const reference = policy.clone();
    const lengthReward = { ...getPreset('shaped'), fn: ({ trace }: { trace: { steps: { text: string }[] } }) => ({ total: trace.steps[0]?.text.length ?? 0, components: {} }) };
    const trainer = new GrpoTrainer(policy, reference, tokenizer, new SandboxPool(lengthReward as never), config, () => episodes);
    const before = (await policy.getWeights()).map((w) => Array.from(w.values));

    const pause = new AbortController();
    const reason = new Error('paused');
    let heard = 0;
    await expect(trainer.step({ signal: pause.signal, onRollout: () => (++heard === 1 ? pause.abort(reason) : undefined) })).rejects.toBe(reason);
    expect(trainer.iteration).toBe(0);
    expect((await policy.getWeights()).map((w) => Array.from(w.values))).toEqual(before);

    // Aborted after the last rollout ended: still no update.
    const late = new AbortController();
    await expect(trainer.step({ signal: late.signal, onRollout: (done, total) => (done === total ? late.abort(reason) : undefined) })).rejects.toBe(reason);
    expect(trainer.iteration).toBe(0);
    expect((await policy.getWeights()).map((w) => Array.from(w.values))).toEqual(before);

    const m = await trainer.step();
    expect(m.iteration).toBe(1);
    expect((await policy.getWeights()).map((w) => Array.from(w.values))).not.toEqual(before);
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  }, 60_000);
});
