import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { chooseBackend } from '../../src/ml/backend';
import { TransformerLM, type LmConfig } from '../../src/ml/model';

const shape: LmConfig = { vocabSize: 40, dModel: 16, nLayers: 2, nHeads: 2, dFF: 32, contextLength: 32, seed: 3 };

/** A model with sharper logits than the 0.02 init gives, so greedy choices are not near-ties. */
async function sharpModel(config: LmConfig): Promise<TransformerLM> {
  const m = new TransformerLM(config);
  const w = await m.getWeights();
  m.setWeights(w.map((x) => ({ ...x, values: x.name.endsWith('.g') ? x.values : x.values.map((v) => v * 25) })));
  return m;
}

/** Greedy decoding without a cache: the whole sequence through logits() at every step. */
async function uncachedGreedy(m: TransformerLM, prompt: number[], n: number): Promise<number[]> {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const logits = tf.tidy(() => m.logits(tf.tensor2d([seq], [1, seq.length], 'int32')).slice([0, seq.length - 1, 0], [1, 1, -1]));
    const row = Array.from(await logits.data());
    logits.dispose();
    seq.push(row.indexOf(Math.max(...row)));
  }
  return seq.slice(prompt.length);
}

const prompts = [[1, 5, 7, 9, 2, 3], [4], [8, 8, 8]];

// Every backend the CI has (the kernels differ: the wasm OneHot once ignored its dtype), and both position schemes.
describe.each([
  ['wasm', 'learned'],
  ['cpu', 'learned'],
  ['wasm', 'alibi'],
] as const)('TransformerLM on %s, %s positions', (backend, positions) => {
  const config: LmConfig = { ...shape, positions };

  beforeAll(async () => {
    expect((await chooseBackend({ prefer: backend })).backend).toBe(backend);
  });

  test('seeded init, shapes and parameter count (tied head)', async () => {
    const a = new TransformerLM(config);
    const b = new TransformerLM(config);
    expect((await a.getWeights())[0]?.values).toEqual((await b.getWeights())[0]?.values);
    const { vocabSize: V, dModel: d, dFF: f, contextLength: C, nLayers: n } = config;
    expect(a.parameterCount()).toBe(V * d + (positions === 'learned' ? C * d : 0) + n * (4 * d + 3 * d * d + 3 * d + d * d + d * d + d + d * f + f + f * d + d) + 2 * d); // wkprev: the smeared key
    const logits = a.logits(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32'));
    expect(logits.shape).toEqual([1, 3, V]);
    tf.dispose([logits]);
    a.dispose();
    b.dispose();
  });

  test('sequenceLogProbs = log-softmax of logits at the next token, zero where masked', async () => {
    const m = await sharpModel(config);
    const ids = tf.tensor2d([[1, 5, 7, 9], [2, 3, 0, 0]], [2, 4], 'int32');
    const mask = tf.tensor2d([[0, 1, 1, 1], [0, 1, 0, 0]], [2, 4], 'int32');
    const lp = m.sequenceLogProbs(ids, mask);
    expect(lp.shape).toEqual([2, 3]);
    const got = (await lp.array()) as number[][];
    const ref = (await tf.tidy(() => tf.logSoftmax(m.logits(ids))).array()) as number[][][];
    const idsArr = (await ids.array()) as number[][];
    const maskArr = (await mask.array()) as number[][];
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 3; t++) {
        const want = maskArr[b]![t + 1] ? ref[b]![t]![idsArr[b]![t + 1]!]! : 0;
        expect(got[b]![t]).toBeCloseTo(want, 4);
      }
    }
    tf.dispose([ids, mask, lp]);
    m.dispose();
  });

  test('gradients (custom ones for embeddings and dense products included) match finite differences', async () => {
    const m = await sharpModel(config);
    const ids = tf.tensor2d([[1, 5, 7, 9, 2], [3, 3, 8, 0, 0]], [2, 5], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], [2, 5], 'int32');
    const loss = (): tf.Scalar => tf.tidy(() => tf.neg(tf.mean(m.sequenceLogProbs(ids, mask))) as tf.Scalar);
    const { value, grads } = tf.variableGrads(loss, m.variables);
    value.dispose();
    const names = ['tok_emb', ...(positions === 'learned' ? ['pos_emb'] : []), 'h0.attn.wqkv', 'h1.attn.wo', 'h0.mlp.w1', 'h1.mlp.w2', 'ln_f.g'];
    const weights = await m.getWeights();
    for (const name of names) {
      const i = names.indexOf(name);
      const w = weights.find((x) => x.name === name)!;
      const g = await grads[m.variables[weights.indexOf(w)]!.name]!.data();
      let at = 0;
      g.forEach((x, j) => (Math.abs(x) > Math.abs(g[at]!) ? (at = j) : 0));
      const lossAt = async (delta: number): Promise<number> => {
        const values = w.values.slice();
        values[at] = values[at]! + delta;
        m.setWeights(weights.map((x) => (x === w ? { ...x, values } : x)));
        const l = loss();
        const out = (await l.data())[0]!;
        l.dispose();
        return out;
      };
      const eps = 1e-2;
      const numeric = ((await lossAt(eps)) - (await lossAt(-eps))) / (2 * eps);
      expect(Math.abs(numeric - g[at]!), `${name} (${i})`).toBeLessThan(0.05 * Math.abs(g[at]!) + 1e-4);
      m.setWeights(weights);
    }
    tf.dispose([ids, mask, ...Object.values(grads)]);
    m.dispose();
  });

  test('batched KV-cached greedy generation equals uncached argmax, prompt by prompt', async () => {
    const m = await sharpModel(config);
    const out = await m.generate(prompts, { maxNewTokens: 8, temperature: 0, topK: 0, seed: 1 });
    for (let b = 0; b < prompts.length; b++) {
      expect(out.tokens[b]).toEqual(await uncachedGreedy(m, prompts[b]!, 8));
      expect(out.stopped[b]).toBe(false);
    }
    // A prompt alone gives the same continuation as in the batch (padding is invisible).
    const alone = await m.generate([prompts[1]!], { maxNewTokens: 8, temperature: 0, topK: 0, seed: 1 });
    expect(alone.tokens[0]).toEqual(out.tokens[1]);
    m.dispose();
  });

  test('more prompts than one prefill takes continue as each does alone, in the later slices too', async () => {
    const m = await sharpModel(config);
    // 20 prompts of lengths 1..7: the prefill runs them in two slices whose results are joined.
    const many = Array.from({ length: 20 }, (_, b) => Array.from({ length: 1 + (b % 7) }, (_, i) => (3 * b + 5 * i) % 40));
    const out = await m.generate(many, { maxNewTokens: 6, temperature: 0, topK: 0, seed: 1 });
    for (let b = 0; b < many.length; b++) expect(out.tokens[b], `prompt ${b}`).toEqual(await uncachedGreedy(m, many[b]!, 6));
    const sampled = await m.generate(many, { maxNewTokens: 4, temperature: 1, topK: 0, seed: 5 });
    for (const b of [3, 17, 19]) {
      const seq = [...many[b]!, ...sampled.tokens[b]!];
      const lp = tf.tidy(() => m.sequenceLogProbs(tf.tensor2d([seq], [1, seq.length], 'int32'), tf.ones([1, seq.length], 'int32')));
      const all = Array.from(await lp.data()).slice(many[b]!.length - 1);
      lp.dispose();
      all.forEach((v, i) => expect(sampled.logProbs[b]![i], `prompt ${b}`).toBeCloseTo(v, 3));
    }
    m.dispose();
  });

  test('generated log-probs match sequenceLogProbs of the completed sequence', async () => {
    const m = await sharpModel(config);
    const out = await m.generate(prompts, { maxNewTokens: 5, temperature: 1, topK: 0, seed: 9 });
    for (let b = 0; b < prompts.length; b++) {
      const seq = [...prompts[b]!, ...out.tokens[b]!];
      const lp = tf.tidy(() => m.sequenceLogProbs(tf.tensor2d([seq], [1, seq.length], 'int32'), tf.ones([1, seq.length], 'int32')));
      const all = Array.from(await lp.data()).slice(prompts[b]!.length - 1);
      lp.dispose();
      all.forEach((v, i) => expect(out.logProbs[b]![i]).toBeCloseTo(v, 3));
    }
    m.dispose();
  });

  test('sampling is seeded; top-1 is greedy; rows stop at the stop id', async () => {
    const m = await sharpModel(config);
    const opts = { maxNewTokens: 10, temperature: 1.5, topK: 0, seed: 4 };
    const a = await m.generate(prompts, opts);
    expect(await m.generate(prompts, opts)).toEqual(a);
    expect((await m.generate(prompts, { ...opts, seed: 5 })).tokens).not.toEqual(a.tokens);
    const top1 = await m.generate(prompts, { ...opts, topK: 1 });
    const greedy = await m.generate(prompts, { ...opts, temperature: 0 });
    expect(top1.tokens).toEqual(greedy.tokens);
    const stopId = greedy.tokens[0]![2]!;
    const stopped = await m.generate(prompts, { ...opts, temperature: 0, stopId });
    const first = greedy.tokens[0]!.indexOf(stopId);
    expect(stopped.tokens[0]).toEqual(greedy.tokens[0]!.slice(0, first + 1));
    expect(stopped.stopped[0]).toBe(true);
    m.dispose();
  });

  test('bad input fails clearly', async () => {
    const m = new TransformerLM(config);
    const opts = { maxNewTokens: 8, temperature: 0, topK: 0, seed: 1 };
    await expect(m.generate([Array(30).fill(1)], opts)).rejects.toThrow(/exceeds the context 32/);
    await expect(m.generate([[1, 99]], opts)).rejects.toThrow(/token id 99 outside 0..39/);
    await expect(m.generate([[]], opts)).rejects.toThrow(/prompt 0 is empty/);
    await expect(m.generate([[1]], { ...opts, maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens must be a positive integer/);
    await expect(m.generate([[1]], { ...opts, temperature: -1 })).rejects.toThrow(/temperature must be >= 0/);
    expect(() => new TransformerLM({ ...config, nHeads: 3 })).toThrow(/nHeads: dModel must be divisible/);
    const w = await m.getWeights();
    expect(() => m.setWeights(w.slice(1))).toThrow(/missing weight tok_emb/);
    expect(() => m.setWeights(w.map((x, i) => (i === 0 ? { ...x, shape: [1, 2] } : x)))).toThrow(/tok_emb has shape \[1,2\]/);
    expect(() => m.setWeights(w.map((x, i) => (i === 1 ? { ...x, values: x.values.map(() => NaN) } : x)))).toThrow(new RegExp(`${w[1]!.name} contains NaN`));
    m.dispose();
  });

  test('clone is a frozen, independent copy; no tensor leaks across generate and training steps', async () => {
    const m = new TransformerLM(config);
    const ref = m.clone();
    expect(ref.variables.every((v) => !v.trainable)).toBe(true);
    expect(m.variables.every((v) => v.trainable)).toBe(true);
    const before = await ref.getWeights();
    const opt = tf.train.adam(1e-2);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0]], [2, 5], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], [2, 5], 'int32');
    const trainStep = async (): Promise<void> => {
      const loss = opt.minimize(() => tf.neg(tf.mean(m.sequenceLogProbs(ids, mask))) as tf.Scalar, true, m.variables);
      await loss?.data();
      loss?.dispose();
    };
    const gen = (): Promise<unknown> => m.generate(prompts, { maxNewTokens: 6, temperature: 1, topK: 5, seed: 2 });
    await trainStep(); // Adam creates its moment variables on the first step
    await gen();
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await trainStep();
      await gen();
    }
    expect(tf.memory().numTensors).toBe(count);
    expect(await ref.getWeights()).toEqual(before);
    expect((await m.getWeights())[0]?.values).not.toEqual(before[0]?.values);
    tf.dispose([ids, mask]);
    opt.dispose();
    ref.dispose();
    m.dispose();
  });
});

// wasm attends each (sequence, head) on its own with 2D products and its own backward pass; the cpu backend runs the
// batched attention with tf's gradients. Same weights, same batch: the same log-probabilities and gradients.
test('attention by slices on wasm equals the batched attention, values and gradients', async () => {
  const config: LmConfig = { ...shape, positions: 'alibi', nHeads: 4 };
  const ids = [[1, 5, 7, 9, 2, 6, 6], [3, 3, 8, 11, 0, 0, 0]];
  const mask = [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]];
  const run = async (backend: 'wasm' | 'cpu', weights?: Awaited<ReturnType<TransformerLM['getWeights']>>) => {
    expect((await chooseBackend({ prefer: backend })).backend).toBe(backend);
    const m = await sharpModel(config);
    if (weights) m.setWeights(weights);
    const [i, k] = [tf.tensor2d(ids, [2, 7], 'int32'), tf.tensor2d(mask, [2, 7], 'int32')];
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(m.sequenceLogProbs(i, k))) as tf.Scalar, m.variables);
    const out = { loss: (await value.data())[0]!, grads: await Promise.all(m.variables.map(async (v) => Array.from(await grads[v.name]!.data()))), weights: await m.getWeights() };
    tf.dispose([i, k, value, ...Object.values(grads)]);
    m.dispose();
    return out;
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu', wasm.weights);
  expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
  wasm.grads.forEach((g, j) => g.forEach((x, n) => expect(x).toBeCloseTo(cpu.grads[j]![n]!, 3)));
  expect(wasm.grads.flat().some((x) => Math.abs(x) > 1e-3)).toBe(true);
});
