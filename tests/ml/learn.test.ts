// The model can learn (gradients flow through the one-hot embeddings and attention). How fast it trains is measured by
// `npm run bench`, not here.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, test } from 'vitest';
import { Rng } from '../../src/core/rng';
import { chooseBackend } from '../../src/ml/backend';
import { TransformerLM } from '../../src/ml/model';
import { trainTokenizer } from '../../src/ml/tokenizer';

beforeAll(async () => {
  await chooseBackend();
});

/** Mean negative log-likelihood of the masked tokens, one Adam step. */
async function trainStep(model: TransformerLM, opt: tf.Optimizer, ids: number[][], mask: number[][]): Promise<number> {
  const [B, T] = [ids.length, ids[0]!.length];
  const idsT = tf.tensor2d(ids.flat(), [B, T], 'int32');
  const maskT = tf.tensor2d(mask.flat(), [B, T], 'int32');
  const loss = opt.minimize(() => {
    const logp = model.sequenceLogProbs(idsT, maskT);
    return tf.div(tf.neg(tf.sum(logp)), tf.sum(maskT.slice([0, 1], [-1, -1]))) as tf.Scalar;
  }, true, model.variables) as tf.Scalar;
  const value = (await loss.data())[0]!;
  tf.dispose([idsT, maskT, loss]);
  return value;
}

test('learns to copy the user message into the assistant turn', async () => {
  const tok = trainTokenizer([], { vocabSize: 275 }); // bytes only: every letter is a token
  const model = new TransformerLM({ vocabSize: tok.vocabSize, dModel: 32, nLayers: 2, nHeads: 2, dFF: 64, contextLength: 16, seed: 1 });
  const opt = tf.train.adam(3e-3);
  const rng = new Rng(7);
  const word = (): string => Array.from({ length: 4 }, () => 'abcdef'[rng.int(0, 5)]).join('');
  const example = (w: string): { ids: number[]; mask: number[] } => {
    const prompt = tok.encode(`<|user|>${w}<|end|><|assistant|>`);
    const answer = tok.encode(`${w}<|end|>`);
    return { ids: [...prompt, ...answer], mask: [...prompt.map(() => 0), ...answer.map(() => 1)] };
  };
  const t0 = performance.now();
  let loss = Infinity;
  for (let step = 0; step < 200; step++) {
    const batch = Array.from({ length: 32 }, () => example(word()));
    loss = await trainStep(model, opt, batch.map((b) => b.ids), batch.map((b) => b.mask));
  }
  const seconds = (performance.now() - t0) / 1000;
  const words = Array.from({ length: 20 }, word);
  const gen = await model.generate(
    words.map((w) => tok.encode(`<|user|>${w}<|end|><|assistant|>`)),
    { maxNewTokens: 6, temperature: 0, topK: 0, stopId: tok.specialId('<|end|>'), seed: 0 },
  );
  const correct = words.filter((w, i) => tok.decode(gen.tokens[i]!) === `${w}<|end|>`).length;
  console.log(`copy task: loss ${loss.toFixed(3)} after 200 steps in ${seconds.toFixed(1)} s, ${correct}/20 copied exactly`);
  expect(loss).toBeLessThan(0.1);
  expect(correct).toBeGreaterThanOrEqual(18);
  opt.dispose();
  model.dispose();
});
