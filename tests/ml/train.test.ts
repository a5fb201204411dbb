// The one training loop (src/ml/train.ts): its steps come in the recipe's order, and a run rebuilt from its saved
// progress goes on where it stopped, on a model small enough to take seconds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { grpoFromBase, resumeRun } from '../../src/cli/train';
import { parseRunConfig, type RunConfig } from '../../src/core/config';
import { chooseBackend } from '../../src/ml/backend';
import { deserializeCheckpoint, serializeCheckpoint } from '../../src/ml/checkpoint';
import { saveCheckpointDir } from '../../src/ml/checkpoint-node';
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

  it('a run saved right after its base step resumes into GRPO, not into the base step again', async () => {
    // The release script publishes (evaluates) the base at that step: a resume must not do it twice.
    const dir = await mkdtemp(join(tmpdir(), 'asp-resume-'));
    const first = await TrainingRun.create(tiny(1, 2));
    const steps = trainSteps(first);
    for (let i = 0; i < 2; i++) await steps.next(); // sft, base
    const meta = { config: first.config, progress: first.progress };
    await saveCheckpointDir(dir, first.policy, first.tokenizer, { meta });
    await saveCheckpointDir(join(dir, 'base'), first.reference as NonNullable<typeof first.reference>, first.tokenizer, { meta });
    const resumed = await resumeRun(dir, meta, undefined);
    expect(resumed.reference).not.toBeNull();
    expect(await kinds(resumed)).toEqual(['grpo', 'grpo']);
    // Without the saved base the run is still before GRPO: the base step comes first.
    await rm(join(dir, 'base'), { recursive: true });
    const before = await resumeRun(dir, meta, undefined);
    expect(await kinds(before)).toEqual(['base', 'grpo', 'grpo']);
    for (const r of [first, resumed, before]) r.dispose();
    await rm(dir, { recursive: true });
  }, 60_000);

  it('GRPO starts from a finished cold start with other GRPO settings, and from no other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-from-base-'));
    const made = await TrainingRun.create(tiny(1, 0));
    await kinds(made);
    await saveCheckpointDir(dir, made.policy, made.tokenizer, { meta: { config: made.config, progress: made.progress } });
    const weights = async (run: TrainingRun) => (await run.policy.getWeights()).flatMap((w) => Array.from(w.values));

    const other = parseRunConfig({ ...tiny(1, 2), grpo: { ...tiny(1, 2).grpo, learningRate: 3e-4 } });
    const run = await grpoFromBase(dir, other);
    expect(await weights(run)).toEqual(await weights(made));
    expect(await kinds(run)).toEqual(['base', 'grpo', 'grpo']);
    expect(run.config.grpo.learningRate).toBe(3e-4);

    await expect(grpoFromBase(dir, parseRunConfig({ ...tiny(1, 2), seed: 8 }))).rejects.toThrow(/other settings \(seed\)/);
    await expect(grpoFromBase(dir, tiny(2, 2))).rejects.toThrow(/other settings \(sft\)/);
    for (const r of [made, run]) r.dispose();
    await rm(dir, { recursive: true });
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

describe("the optimizer's state in a resumable checkpoint", () => {
  const weightsOf = async (run: TrainingRun) => (await run.policy.getWeights()).flatMap((w) => Array.from(w.values));
  const maxDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
  /** A run stopped after `at` steps of `kind`, saved to a checkpoint and loaded again (optimizer state kept or not). */
  const reloaded = async (run: TrainingRun, keep: boolean): Promise<TrainingRun> => {
    const ckpt = await serializeCheckpoint(run.policy, run.tokenizer, { optimizer: keep ? await run.optimizerState() : [] });
    const { model, tokenizer, optimizer } = deserializeCheckpoint(ckpt.manifest, ckpt.weights, { trainable: true });
    return TrainingRun.resume({ config: run.config, progress: run.progress, optimizer }, tokenizer, model, run.reference?.clone() ?? null);
  };

  /** A tiny run two updates into `kind`, so its moments are no longer what a fresh optimizer starts from. */
  const twoUpdatesInto = async (kind: 'sft' | 'grpo'): Promise<TrainingRun> => {
    let run = await TrainingRun.create(tiny(3, 3));
    if (kind === 'sft') {
      for (let i = 0; i < 2; i++) await trainStep(run);
      return run;
    }
    // A tiny model's rollouts all score 0, so GRPO's gradient here is the KL term's: a base taken one cold-start step
    // before the policy makes it non-zero (on prompts that fit the context: tiny()'s 256 tokens hold none).
    run.dispose();
    run = await TrainingRun.create(parseRunConfig({ ...tiny(3, 3), model: { ...tiny(3, 3).model, contextLength: 1024, vocabSize: 1024 } }));
    await trainStep(run);
    const base = run.policy.clone();
    for (let i = 0; i < 2; i++) await trainStep(run);
    const config = parseRunConfig({ ...run.config, grpo: { ...run.config.grpo, klCoef: 0.5 } });
    const grpo = new TrainingRun(config, run.tokenizer, run.policy.clone({ trainable: true }), { sftStepsDone: 3, grpoIterationsDone: 1 }, base);
    run.dispose();
    for (let i = 0; i < 2; i++) await trainStep(grpo);
    return grpo;
  };

  it.each(['sft', 'grpo'] as const)('makes a resumed run take the same %s step as the run that went on', async (kind) => {
    const run = await twoUpdatesInto(kind);
    const kept = await reloaded(run, true);
    const lost = await reloaded(run, false);
    expect((await kept.optimizerState()).map((w) => w.name)).toEqual((await run.optimizerState()).map((w) => w.name));
    const events = [];
    for (const r of [run, kept, lost]) events.push((await trainStep(r)).kind);
    expect(events).toEqual([kind, kind, kind]);
    const [goneOn, resumed, restarted] = (await Promise.all([run, kept, lost].map(weightsOf))) as [number[], number[], number[]];
    expect(maxDiff(goneOn, resumed)).toBeLessThan(1e-6);
    // Without the state the step differs: the test can tell.
    expect(maxDiff(goneOn, restarted)).toBeGreaterThan(1e-4);
    for (const r of [run, kept, lost]) r.dispose();
  }, 120_000);

  it('refuses a state that does not fit the model, naming the entry', async () => {
    const run = await TrainingRun.create(tiny(2, 0));
    await trainStep(run);
    const state = await run.optimizerState();
    expect(state[0]?.name).toBe('adam/step');
    // A failed resume frees the model it was given, so each try gets a fresh one.
    const resume = async (optimizer: typeof state) => {
      const fresh = await TrainingRun.create(tiny(2, 0));
      return TrainingRun.resume({ config: fresh.config, progress: fresh.progress, optimizer }, fresh.tokenizer, fresh.policy, null);
    };
    await expect(resume(state.slice(0, -1))).rejects.toThrow(/optimizer state: \d+ entries, the model needs \d+/);
    const bent = state.map((w, i) => (i === 1 ? { ...w, shape: [w.values.length] } : w));
    await expect(resume(bent)).rejects.toThrow(new RegExp(`optimizer state: ${state[1]!.name} has shape`));
    const nan = state.map((w, i) => (i === 2 ? { ...w, values: w.values.map(() => NaN) } : w));
    await expect(resume(nan)).rejects.toThrow(/not finite/);
    run.dispose();
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
