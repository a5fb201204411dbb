import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { oracle } from '../../src/core/policies';
import { renderConversation } from '../../src/core/protocol';
import { getPreset } from '../../src/core/reward';
import { runEpisode } from '../../src/core/sandbox';
import { SandboxPool } from '../../src/core/sandbox/pool';
import { chooseBackend } from '../../src/ml/backend';
import { GrpoTrainer, groupAdvantages, padBatch, policyLoss, targetMask } from '../../src/ml/grpo';
import { MASKED_LOGIT } from '../../src/ml/constrained';
import type { TokenConstraint } from '../../src/ml/model';
import { TransformerLM } from '../../src/ml/model';
import { collectRollouts } from '../../src/ml/rollout';
import { encodeConversation, sftStep } from '../../src/ml/sft';
import { trainTokenizer, type Tokenizer } from '../../src/ml/tokenizer';
import type { RewardPreset } from '../../src/core/types';
import { TOOLS, tinyEpisode } from '../core/fixtures';

const config = parseRunConfig({
  model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 384, vocabSize: 400 },
  grpo: { episodesPerIteration: 2, groupSize: 3, rolloutsPerPass: 4, maxNewTokens: 40, updatesPerIteration: 2 },
  maxTurns: 2,
});
// Two tools keep the prompt well inside the tiny test context.
const tools = [TOOLS.readFile, TOOLS.deleteFile];
const episodes = [
  tinyEpisode({ tools }),
  tinyEpisode({ id: 'test-2', seed: 9, tools, labels: { user: 'malicious', tool: 'none' } }),
];
let tokenizer: Tokenizer;

beforeAll(async () => {
  await chooseBackend({ prefer: 'wasm' });
  const transcripts = await Promise.all(episodes.map((e) => runEpisode(e, oracle('paper'), { seed: 1 })));
  tokenizer = trainTokenizer(
    transcripts.map((t) => renderConversation(t.messages)),
    { vocabSize: config.model.vocabSize },
  );
});

describe('group advantages', () => {
  it('normalise within each group and are zero where a group agrees', () => {
    const adv = groupAdvantages([1, 0, 1, 0.5, 0.5], [0, 0, 0, 1, 1]);
    expect(adv[0]).toBeCloseTo(Math.SQRT1_2, 4);
    expect(adv[1]).toBeCloseTo(-Math.SQRT2, 4);
    expect(adv[3]).toBe(0);
    expect(adv[4]).toBe(0);
    expect((adv[0] as number) + (adv[1] as number) + (adv[2] as number)).toBeCloseTo(0, 6);
  });
});

describe('padBatch', () => {
  it('right-pads with the pad id, keeps the mask aligned, and turns allowed sets into a logit bias', async () => {
    const set = new Uint32Array(1);
    set[0] = (1 << 2) | (1 << 5);
    const { ids, mask, bias } = padBatch(
      [
        { ids: [5, 6, 7], mask: [0, 1, 1], allowed: [null, null, set] },
        { ids: [8], mask: [1], allowed: [null] },
      ],
      8,
    );
    expect(await ids.array()).toEqual([
      [5, 6, 7],
      [8, 0, 0],
    ]);
    expect(await mask.array()).toEqual([
      [0, 1, 1],
      [1, 0, 0],
    ]);
    // Target ids[2] (column 1 of the [B, T-1, V] bias) may only be token 2 or 5; every other entry is free.
    const b = (await bias?.array()) as number[][][];
    expect(b[0]?.[1]).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((v) => (v === 2 || v === 5 ? 0 : MASKED_LOGIT)));
    expect(b[0]?.[0]?.every((x) => x === 0)).toBe(true);
    expect(b[1]?.flat().every((x) => x === 0)).toBe(true);
    const free = padBatch([{ ids: [1, 2], mask: [0, 1], allowed: [null, null] }], 8);
    expect(free.bias).toBeUndefined();
    tf.dispose([ids, mask, bias ?? [], free.ids, free.mask]);
  });
});

describe('encodeConversation', () => {
  it('masks exactly the assistant turns, whose tokens decode back to the turn text plus EOS', async () => {
    const trace = await runEpisode(episodes[0] as never, oracle('paper'), { seed: 1 });
    const { ids, mask, allowed } = encodeConversation(tokenizer, trace.messages, { decoding: 'free', tools, budget: 96 });
    const assistantText = tokenizer.decode(ids.filter((_, i) => mask[i] === 1));
    const expected = trace.messages
      .filter((m) => m.role === 'assistant')
      .map((m) => `${m.content}<|end|>`)
      .join('');
    expect(assistantText).toBe(expected);
    expect(allowed.every((a) => a === null)).toBe(true);
    expect(tokenizer.decode(ids)).toBe(renderConversation(trace.messages).replace(/<\|assistant\|>$/, ''));
  });

  it('under the grammar, leaves forced tokens out of the mask and gives each chosen token its allowed set', async () => {
    const trace = await runEpisode(episodes[0] as never, oracle('paper'), { seed: 1 });
    const free = encodeConversation(tokenizer, trace.messages, { decoding: 'free', tools, budget: 96 });
    const seq = encodeConversation(tokenizer, trace.messages, { decoding: 'constrained', tools, budget: 96 });
    expect(seq.ids).toEqual(free.ids);
    const chosen = seq.mask.filter((m) => m === 1).length;
    // `<think>` opens every turn and is forced; so is most of a call's JSON skeleton.
    expect(chosen).toBeLessThan(free.mask.filter((m) => m === 1).length);
    seq.mask.forEach((m, i) => expect(m === 1).toBe(seq.allowed[i] !== null));
  });
});

describe('the GRPO loss', () => {
  it('is the negative advantage-weighted token mean where the ratio is 1 and the policy is the base', async () => {
    const logp = tf.tensor2d([
      [-1, -2, -0.5],
      [-0.3, -0.7, -1.1],
    ]);
    const m = tf.tensor2d([
      [1, 1, 0],
      [0, 1, 1],
    ]);
    const adv = tf.tensor1d([2, -1]);
    const terms = policyLoss(logp, { old: logp, ref: logp, adv }, m, { clipEpsilon: 0.2, klCoef: 0.5 }, 4);
    // -(2 + 2 - 1 - 1) / 4: two tokens of advantage 2, two of -1, over 4 chosen tokens.
    expect((await terms.loss.data())[0]).toBeCloseTo(-0.5, 6);
    expect((await terms.klSum.data())[0]).toBeCloseTo(0, 6);
    expect((await terms.clippedSum.data())[0]).toBe(0);
    // With the policy moved past the clip on one token, the clipped share counts it and the KL to the base is > 0.
    const moved = tf.tensor2d([
      [-0.5, -2, -0.5],
      [-0.3, -0.7, -1.1],
    ]);
    const t2 = policyLoss(moved, { old: logp, ref: logp, adv }, m, { clipEpsilon: 0.2, klCoef: 0.5 }, 4);
    expect((await t2.clippedSum.data())[0]).toBe(1);
    const r = -0.5; // ref - logp at the moved token
    expect((await t2.klSum.data())[0]).toBeCloseTo(Math.exp(r) - r - 1, 5);
    // Its surrogate is clipped at 1.2 × 2: loss = (0.5·k3 - (2.4 + 2 - 1 - 1)) / 4.
    expect((await t2.loss.data())[0]).toBeCloseTo((0.5 * (Math.exp(r) - r - 1) - 2.4) / 4, 5);
    tf.dispose([logp, m, adv, moved, ...Object.values(terms), ...Object.values(t2)]);
  });

  it('teaches a masked one-token task: p(right) from 1/16 to > 0.9, and down instead with the advantages negated', async () => {
    // Prompt [1]; the policy may answer with tokens 10..25 only; reward 1 for token 17. 32 samples a step, one group.
    const allowed = new Uint32Array(2);
    for (let v = 10; v < 26; v++) allowed[v >>> 5] = (allowed[v >>> 5] as number) | (1 << (v & 31));
    const constraint: TokenConstraint = { allowed: () => allowed, advance: () => {} };
    const train = async (sign: 1 | -1): Promise<number> => {
      const model = new TransformerLM({ dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 8, vocabSize: 32, seed: 2 });
      const optimizer = tf.train.adam(0.05);
      const pRight = async (): Promise<number> => {
        const seq = [{ ids: [1, 17], mask: [0, 1], allowed: [null, allowed] }];
        const { ids, mask, bias } = padBatch(seq, 32);
        const lp = model.sequenceLogProbs(ids, mask, bias);
        const p = Math.exp((await lp.data())[0] as number);
        tf.dispose([ids, mask, bias ?? [], lp]);
        return p;
      };
      expect(await pRight()).toBeCloseTo(1 / 16, 1);
      for (let step = 0; step < 30; step++) {
        const gen = await model.generate(Array.from({ length: 32 }, () => [1]), { maxNewTokens: 1, temperature: 1, topK: 0, seed: step, constraints: Array.from({ length: 32 }, () => constraint) });
        const rewards = gen.tokens.map((t) => (t[0] === 17 ? 1 : 0));
        const advantages = groupAdvantages(rewards, rewards.map(() => 0)).map((a) => sign * a);
        const seqs = gen.tokens.map((t) => ({ ids: [1, t[0] as number], mask: [0, 1], allowed: [null, allowed] }));
        const { ids, mask, bias } = padBatch(seqs, 32);
        const old = tf.tensor2d(gen.logProbs.map((l) => [l[0] as number]));
        const adv = tf.tensor1d(advantages);
        const { value, grads } = tf.variableGrads(() => {
          const terms = policyLoss(model.sequenceLogProbs(ids, mask, bias), { old, ref: old, adv }, targetMask(mask), { clipEpsilon: 0.2, klCoef: 0 }, 32);
          return terms.loss;
        }, model.variables);
        optimizer.applyGradients(grads as tf.NamedTensorMap as never);
        tf.dispose([ids, mask, bias ?? [], old, adv, value, ...Object.values(grads)]);
      }
      const p = await pRight();
      optimizer.dispose();
      model.dispose();
      return p;
    };
    expect(await train(1)).toBeGreaterThan(0.9);
    expect(await train(-1)).toBeLessThan(1 / 16);
  });
});

describe('a cold-start step', () => {
  it('learns from the context tokens too and frees every tensor it made', async () => {
    const model = new TransformerLM({ ...config.model, vocabSize: tokenizer.vocabSize, seed: 4 });
    const optimizer = tf.train.adam(1e-3);
    const trace = await runEpisode(episodes[0] as never, oracle('paper'), { seed: 1 });
    const batch = [encodeConversation(tokenizer, trace.messages, { decoding: 'constrained', tools, budget: 96 })];
    await sftStep(model, optimizer, batch, 1, 0.25); // first step creates Adam's slots
    const tensors = tf.memory().numTensors;
    const loss = await sftStep(model, optimizer, batch, 1, 0.25);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    optimizer.dispose();
    model.dispose();
  });
});

describe('rollouts and a GRPO step', () => {
  it('play whole episodes under the grammar with chosen tokens masked, and update without leaking tensors', async () => {
    const policy = new TransformerLM({ ...config.model, vocabSize: tokenizer.vocabSize, seed: 3 });
    const reference = policy.clone();
    const { rollouts, metrics } = await collectRollouts(policy, tokenizer, new SandboxPool(getPreset('paper')), episodes, {
      groupSize: 2,
      maxTurns: 2,
      pYes: 0.5,
      maxNewTokens: 40,
      temperature: 1,
      topK: 0,
      seed: 5,
      decoding: 'constrained',
    });
    expect(rollouts).toHaveLength(4);
    expect(metrics.count).toBe(4);
    for (const r of rollouts) {
      expect(r.generated).toBeGreaterThan(0);
      expect(r.ids.length).toBe(r.mask.length);
      // Chosen tokens carry their allowed sets; forced ones (mask 0) do not.
      expect(r.mask.filter((m) => m === 1).length).toBeLessThan(r.generated);
      r.mask.forEach((m, i) => expect(m === 1).toBe(r.allowed[i] !== null));
      expect(r.trace.steps.length).toBeGreaterThan(0);
      for (const step of r.trace.steps) expect(step.action.kind).not.toBe('malformed');
      expect(r.reward).toEqual(getPreset('paper').fn({ trace: r.trace, episode: r.episode }));
    }

    const before = (await policy.getWeights()).map((w) => Array.from(w.values));
    // A reward that differs between random rollouts, so the advantages (and the update) are not zero.
    const lengthReward: RewardPreset = {
      ...getPreset('shaped'),
      fn: ({ trace }) => ({ total: trace.steps[0]?.text.length ?? 0, components: {} }),
    };
    const trainer = new GrpoTrainer(policy, reference, tokenizer, new SandboxPool(lengthReward), config, () => episodes);
    await trainer.step(); // first step creates Adam's slots
    const tensors = tf.memory().numTensors;
    const m = await trainer.step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(m.iteration).toBe(2);
    expect(Number.isFinite(m.loss)).toBe(true);
    // The second iteration's update starts from a policy one update away from the base.
    expect(m.kl).toBeGreaterThan(0);
    expect(m.approxKl).toBeGreaterThan(0);
    expect(m.count).toBe(episodes.length * config.grpo.groupSize);
    const after = (await policy.getWeights()).map((w) => Array.from(w.values));
    expect(after).not.toEqual(before);
    trainer.dispose();
    reference.dispose();
    policy.dispose();
  });
});
