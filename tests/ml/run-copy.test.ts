// The cold start's first sft.copySteps steps train on the copy task, seeded by the run and the step.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { Rng } from '../../src/core/rng';
import { chooseBackend } from '../../src/ml/backend';
import { COPY_BATCH, copySample } from '../../src/ml/copy-task';
import { TransformerLM } from '../../src/ml/model';
import { TrainingRun } from '../../src/ml/run';
import { sftStep } from '../../src/ml/sft';
import { trainTokenizer, type Tokenizer } from '../../src/ml/tokenizer';

const model = { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 384, vocabSize: 300 };
let tokenizer: Tokenizer;

beforeAll(async () => {
  await chooseBackend({ prefer: 'wasm' });
  tokenizer = trainTokenizer(['read_file the file docs/a.txt', 'delete_file docs/b.txt'], { vocabSize: model.vocabSize });
});

const weights = async (m: TransformerLM) => (await m.getWeights()).map((w) => Array.from(w.values));
/** The copy batch a run with `seed` should train on at 0-based cold-start step `step`, built independently of the run. */
const copyBatchAt = (seed: number, step: number) => {
  const rng = new Rng(seed).fork(`copy/${step}`);
  return Array.from({ length: COPY_BATCH }, () => copySample(rng, tokenizer.specialTokens.length, tokenizer.vocabSize));
};

describe('copy warm-up', () => {
  it('is the first copySteps steps: one Adam step on the seeded copy batch, context unweighted', async () => {
    const config = parseRunConfig({ seed: 4, model, sft: { steps: 2, copySteps: 1, batchSize: 2 } });
    const policy = new TransformerLM({ ...config.model, vocabSize: tokenizer.vocabSize, seed: 4 });
    const twin = policy.clone({ trainable: true });
    const run = new TrainingRun(config, tokenizer, policy);
    const first = await run.sftStep();

    const optimizer = tf.train.adam(config.sft.learningRate);
    const loss = await sftStep(twin, optimizer, copyBatchAt(4, 0), config.sft.maxGradNorm, 0);
    expect(first.loss).toBeCloseTo(loss, 5);
    expect(await weights(policy)).toEqual(await weights(twin));

    // The next step is a transcript step: it no longer matches a second copy step.
    await run.sftStep();
    await sftStep(twin, optimizer, copyBatchAt(4, 1), config.sft.maxGradNorm, 0);
    expect(await weights(policy)).not.toEqual(await weights(twin));
    optimizer.dispose();
    twin.dispose();
    run.dispose();
  });

  it('is off with copySteps 0: the first step trains on transcripts', async () => {
    const config = parseRunConfig({ seed: 4, model, sft: { steps: 1, copySteps: 0, batchSize: 2 } });
    const policy = new TransformerLM({ ...config.model, vocabSize: tokenizer.vocabSize, seed: 4 });
    const twin = policy.clone({ trainable: true });
    const run = new TrainingRun(config, tokenizer, policy);
    await run.sftStep();
    const optimizer = tf.train.adam(config.sft.learningRate);
    await sftStep(twin, optimizer, copyBatchAt(4, 0), config.sft.maxGradNorm, 0);
    expect(await weights(policy)).not.toEqual(await weights(twin));
    optimizer.dispose();
    twin.dispose();
    run.dispose();
  });
});
