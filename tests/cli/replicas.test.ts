// Training shared with policy replicas in worker threads: the same cold-start step as on one thread (the gradients of
// the chunks add up alike), the same rollouts a replica plays as this thread would, a GRPO iteration's groups shared
// out and numbered back, and the CLI starts them only while there is training to share.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { openReplicas, type ReplicaPool } from '../../src/cli/replicas';
import { useThreads } from '../../src/cli/train';
import { chooseBackend } from '../../src/ml/backend';
import { GrpoTrainer } from '../../src/ml/grpo';
import { collectRollouts } from '../../src/ml/rollout';
import { TrainingRun, trainEpisodes } from '../../src/ml/run';
import { SandboxPool } from '../../src/core/sandbox/pool';
import { getPreset } from '../../src/core/reward';

// A batch of 24 is three chunks: one on this thread, two on the replica (chunk k goes to worker k mod 2).
// The GRPO checks need a context that holds the prompt (the cold start is trained on cut transcripts alike).
const wide = { model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 1024, vocabSize: 300 } };
const config = parseRunConfig({
  model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 256, vocabSize: 300 },
  sft: { steps: 4, batchSize: 24 },
});

let pool: ReplicaPool;
beforeAll(async () => {
  await chooseBackend({ prefer: 'wasm' });
}, 60_000);
afterAll(async () => {
  await pool?.close();
});

async function twoSteps(run: TrainingRun): Promise<{ losses: number[]; weights: Float32Array }> {
  const losses = [(await run.sftStep()).loss, (await run.sftStep()).loss];
  const weights = await run.policy.getWeights();
  return { losses, weights: Float32Array.from(weights.flatMap((w) => [...w.values])) };
}

describe('policy replicas in worker threads', () => {
  it('take the same cold-start steps as one thread', async () => {
    const alone = await TrainingRun.create(config);
    const shared = await TrainingRun.create(config);
    pool = await openReplicas(2, shared.policy.config, shared.tokenizer.toJSON(), 'wasm');
    expect(pool.replicas).toHaveLength(1);
    shared.replicas = pool.replicas;
    const a = await twoSteps(alone);
    const b = await twoSteps(shared);
    a.losses.forEach((l, i) => expect(b.losses[i]).toBeCloseTo(l, 5));
    const worst = a.weights.reduce((m, w, i) => Math.max(m, Math.abs(w - (b.weights[i] as number))), 0);
    expect(worst).toBeLessThan(1e-5);
    // and they moved: the comparison is not of two untouched models
    const before = await (await TrainingRun.create(config)).policy.getWeights();
    const moved = Float32Array.from(before.flatMap((w) => [...w.values])).reduce((m, w, i) => Math.max(m, Math.abs(w - (a.weights[i] as number))), 0);
    expect(moved).toBeGreaterThan(1e-3);
  }, 120_000);

  it('play the rollouts this thread would play, and share out and number back a GRPO iteration', async () => {
    const run = await TrainingRun.create(parseRunConfig({ ...config, ...wide, sft: { ...config.sft, steps: 0 }, maxTurns: 2, grpo: { episodesPerIteration: 5, groupSize: 2, maxNewTokens: 12 } }));
    await pool.close();
    pool = await openReplicas(2, run.policy.config, run.tokenizer.toJSON(), 'wasm');
    const [replica] = pool.replicas;
    const episodes = trainEpisodes(run.config)(0);
    const opts = { groupSize: 2, maxTurns: 2, pYes: 0.5, maxNewTokens: 12, temperature: 1, topK: 0, seed: 5, decoding: 'constrained' as const };
    const here = await collectRollouts(run.policy, run.tokenizer, new SandboxPool(getPreset('paper')), episodes.slice(0, 2), opts);
    const there = await replica!.rollouts(await run.policy.getWeights(), episodes.slice(0, 2), opts, 'paper');
    expect(here.rollouts.every((r) => r.generated > 0)).toBe(true);
    expect(there.map((r) => r.ids)).toEqual(here.rollouts.map((r) => r.ids));
    expect(there.map((r) => r.reward.total)).toEqual(here.rollouts.map((r) => r.reward.total));

    const grpo = new GrpoTrainer(run.policy, run.policy.clone(), run.tokenizer, run.sandbox, run.config, trainEpisodes(run.config));
    grpo.replicas = pool.replicas;
    const { rollouts, metrics } = await grpo.collect(episodes, opts, {});
    expect(rollouts).toHaveLength(10);
    expect(metrics.count).toBe(10);
    // Each group holds two rollouts of one episode; together the groups are the iteration's five episodes.
    const groups = new Map<number, string[]>();
    for (const r of rollouts) groups.set(r.group, [...(groups.get(r.group) ?? []), r.episode.id]);
    expect([...groups.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const ids of groups.values()) expect(new Set(ids).size === 1 && ids.length === 2).toBe(true);
    expect(new Set(rollouts.map((r) => r.episode.id))).toEqual(new Set(episodes.map((e) => e.id)));
    const iteration = await grpo.step();
    expect(iteration.count).toBe(10);
    grpo.dispose();
    run.dispose();
  }, 120_000);

  it('compute passes of a GRPO update that add up to the same update as on one thread', async () => {
    // A custom reward keeps the rollouts on this thread, so both runs update on the very same rollouts. Groups of 4:
    // with 2, every group of these episodes happened to score alike, and no advantage moved the weights.
    const grpoConfig = parseRunConfig({
      ...config,
      ...wide,
      sft: { ...config.sft, steps: 0 },
      maxTurns: 2,
      reward: 'custom',
      customReward: 'function reward(input) { return { total: input.trace.messages.map((m) => m.content).join("").length % 3, components: {} }; }',
      grpo: { episodesPerIteration: 3, groupSize: 4, maxNewTokens: 12, rolloutsPerPass: 2, updatesPerIteration: 2 },
    });
    const alone = await TrainingRun.create(grpoConfig);
    const shared = await TrainingRun.create(grpoConfig);
    await pool.close();
    pool = await openReplicas(2, shared.policy.config, shared.tokenizer.toJSON(), 'wasm');
    shared.replicas = pool.replicas;
    const a = await alone.grpoStep();
    const b = await shared.grpoStep();
    expect(b.reward.total).toBe(a.reward.total);
    expect(b.loss).toBeCloseTo(a.loss, 5);
    expect(b.kl).toBeCloseTo(a.kl, 6);
    const flat = async (run: TrainingRun) => Float32Array.from((await run.policy.getWeights()).flatMap((w) => [...w.values]));
    const [wa, wb] = [await flat(alone), await flat(shared)];
    expect(wa.reduce((m, w, i) => Math.max(m, Math.abs(w - (wb[i] as number))), 0)).toBeLessThan(1e-5);
    const start = Float32Array.from((await (await TrainingRun.create(grpoConfig)).policy.getWeights()).flatMap((w) => [...w.values]));
    expect(wa.reduce((m, w, i) => Math.max(m, Math.abs(w - (start[i] as number))), 0)).toBeGreaterThan(1e-4);
    alone.dispose();
    shared.dispose();
  }, 120_000);

  it('are started only while training is left and more than one thread is asked for', async () => {
    const done = await TrainingRun.create(parseRunConfig({ ...config, sft: { ...config.sft, steps: 0 }, grpo: { iterations: 0 } }));
    expect((await useThreads(done, 4, 'wasm')) === null).toBe(true);
    const run = await TrainingRun.create(config);
    expect((await useThreads(run, 1, 'wasm')) === null).toBe(true);
    expect(run.replicas).toHaveLength(0);
  }, 60_000);
});
