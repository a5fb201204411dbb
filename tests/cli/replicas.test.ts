// Cold-start steps shared with policy replicas in worker threads: the same step as on one thread (the gradients of
// the chunks add up alike), and the CLI starts them only while there is a cold start to share.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { openReplicas, type ReplicaPool } from '../../src/cli/replicas';
import { useThreads } from '../../src/cli/train';
import { chooseBackend } from '../../src/ml/backend';
import { TrainingRun } from '../../src/ml/run';

// A batch of 24 is three chunks: one on this thread, two on the replica (chunk k goes to worker k mod 2).
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
    pool = await openReplicas(2, shared.policy.config, 'wasm');
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

  it('are started only while a cold start is left and more than one thread is asked for', async () => {
    const done = await TrainingRun.create(parseRunConfig({ ...config, sft: { ...config.sft, steps: 0 } }));
    expect(await useThreads(done, 4, 'wasm')).toBeNull();
    const run = await TrainingRun.create(config);
    expect(await useThreads(run, 1, 'wasm')).toBeNull();
    expect(run.replicas).toHaveLength(0);
  }, 60_000);
});
