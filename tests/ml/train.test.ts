// The one training loop (src/ml/train.ts): its steps come in the recipe's order, and a run rebuilt from its saved
// progress goes on where it stopped, on a model small enough to take seconds.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfig } from '../../src/core/config';
import { chooseBackend } from '../../src/ml/backend';
import { TrainingRun } from '../../src/ml/run';
import { sftLearningRate } from '../../src/ml/sft';
import { trainStep, trainSteps, type TrainEvent } from '../../src/ml/train';

const tiny = (sftSteps: number, iterations: number): RunConfig =>
  parseRunConfig({
    model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 256, vocabSize: 300 },
    sft: { steps: sftSteps, batchSize: 2 },
    maxTurns: 2,
    grpo: { iterations, episodesPerIteration: 1, groupSize: 2, maxNewTokens: 8, updatesPerIteration: 1 },
  });

async function kinds(run: TrainingRun): Promise<TrainEvent['kind'][]> {
  const out: TrainEvent['kind'][] = [];
  for await (const e of trainSteps(run)) out.push(e.kind);
  return out;
}

beforeAll(async () => {
  await chooseBackend({ prefer: 'wasm' });
});

describe('trainSteps', () => {
  it('runs the cold start, then fixes the base once, then the GRPO iterations, and stops there', async () => {
    const run = await TrainingRun.create(tiny(2, 2));
    expect(await kinds(run)).toEqual(['sft', 'sft', 'base', 'grpo', 'grpo']);
    expect(run.progress).toEqual({ sftStepsDone: 2, grpoIterationsDone: 2 });
    expect(run.reference).not.toBeNull();
    // Past the recipe's end the loop yields nothing; a single step goes on (the page's Single step).
    expect(await kinds(run)).toEqual([]);
    expect((await trainStep(run)).kind).toBe('grpo');
    expect(run.grpoIterationsDone).toBe(3);
    run.dispose();
  }, 60_000);

  it('a cold start without GRPO iterations never fixes a base', async () => {
    const run = await TrainingRun.create(tiny(1, 0));
    expect(await kinds(run)).toEqual(['sft']);
    expect(run.reference).toBeNull();
    run.dispose();
  }, 60_000);

  it('a run rebuilt from saved progress (and its base) resumes where it stopped', async () => {
    const first = await TrainingRun.create(tiny(1, 3));
    const steps = trainSteps(first);
    for (let i = 0; i < 3; i++) await steps.next(); // sft, base, grpo 1
    const resumed = new TrainingRun(first.config, first.tokenizer, first.policy.clone({ trainable: true }), first.progress, (first.reference as NonNullable<typeof first.reference>).clone());
    expect(await kinds(resumed)).toEqual(['grpo', 'grpo']);
    expect(resumed.progress).toEqual({ sftStepsDone: 1, grpoIterationsDone: 3 });
    first.dispose();
    resumed.dispose();
  }, 60_000);
});

describe('the cold-start learning rate', () => {
  const sft = { steps: 10, learningRate: 1e-3, decayFraction: 0.3 };
  it('is constant, then falls linearly over the last decayFraction of the steps', () => {
    const rates = [0, 6, 7, 8, 9].map((s) => sftLearningRate(sft, s));
    [1e-3, 1e-3, 1e-3, 2e-3 / 3, 1e-3 / 3].forEach((want, i) => expect(rates[i]).toBeCloseTo(want, 12));
    expect(sftLearningRate({ ...sft, decayFraction: 0 }, 9)).toBe(1e-3);
  });
});
