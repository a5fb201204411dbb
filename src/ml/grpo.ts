// GRPO against the sandbox, readable top to bottom (after CleanRL's one-file style).
// Per iteration: B episodes × G rollouts each -> rewards -> advantages normalised within each group ->
// clipped-ratio policy loss over generated tokens only + KL penalty to the frozen base -> global-norm
// gradient clipping -> Adam.
import * as tf from '@tensorflow/tfjs';
import type { Metrics } from '../core/metrics';
import type { RunConfig } from '../core/config';
import type { RolloutSandbox } from '../core/sandbox/pool';
import type { Episode } from '../core/types';
import type { TransformerLM } from './model';
import { collectRollouts, type Rollout, type RolloutOptions } from './rollout';
import type { Tokenizer } from './tokenizer';

export interface IterationMetrics extends Metrics {
  iteration: number;
  loss: number;
  kl: number;
  entropy: number;
  clipFraction: number;
  rolloutTokensPerSecond: number;
  trainTokensPerSecond: number;
  seconds: number;
  backend: string;
}

/** Group-relative advantages: (r - mean of the group) / (std of the group + eps). */
export function groupAdvantages(rewards: number[], groups: number[], eps = 1e-6): number[] {
  const byGroup = new Map<number, number[]>();
  groups.forEach((g, i) => byGroup.set(g, [...(byGroup.get(g) ?? []), rewards[i] as number]));
  const stats = new Map(
    [...byGroup].map(([g, rs]) => {
      const mean = rs.reduce((a, b) => a + b, 0) / rs.length;
      const std = Math.sqrt(rs.reduce((a, b) => a + (b - mean) ** 2, 0) / rs.length);
      return [g, { mean, std }] as const;
    }),
  );
  return rewards.map((r, i) => {
    const s = stats.get(groups[i] as number) as { mean: number; std: number };
    return (r - s.mean) / (s.std + eps);
  });
}

/** The B episodes of iteration i (the trainer never picks its own data). */
export type EpisodeSource = (iteration: number) => Episode[];

export class GrpoTrainer {
  readonly optimizer: tf.Optimizer;
  iteration = 0;

  constructor(
    readonly policy: TransformerLM,
    readonly reference: TransformerLM,
    readonly tokenizer: Tokenizer,
    /** Plays the rollouts' episodes and scores them (its reward preset decides the rewards). */
    readonly sandbox: RolloutSandbox,
    readonly config: RunConfig,
    readonly episodes: EpisodeSource,
  ) {
    this.optimizer = tf.train.adam(config.grpo.learningRate);
  }

  /** One GRPO iteration: rollouts, rewards, advantages, `epochs` clipped updates. `hooks`: live progress and pause. */
  async step(hooks: Pick<RolloutOptions, 'onRollout' | 'signal'> = {}): Promise<IterationMetrics> {
    const c = this.config.grpo;
    const { seed, pYes, maxTurns } = this.config;
    const started = performance.now();
    const episodes = this.episodes(this.iteration);
    const { rollouts, metrics } = await collectRollouts(this.policy, this.tokenizer, this.sandbox, episodes, {
      groupSize: c.groupSize,
      maxTurns,
      pYes,
      maxNewTokens: c.maxNewTokens,
      temperature: c.temperature,
      topK: c.topK,
      seed: seed * 7919 + this.iteration,
      ...hooks,
    });
    // A pause before the update drops the iteration whole: the weights are as before it, and it replays alike.
    hooks.signal?.throwIfAborted();
    const rolloutSeconds = (performance.now() - started) / 1000;
    const advantages = groupAdvantages(
      rollouts.map((r) => r.reward.total),
      rollouts.map((r) => r.group),
    );

    const trainStarted = performance.now();
    const batches = chunk(
      rollouts.map((r, i) => ({ rollout: r, advantage: advantages[i] as number })),
      c.microBatch,
    );
    // Old and reference log-probs are fixed for the whole iteration.
    const fixed = await Promise.all(
      batches.map(async (b) => {
        const { ids, mask } = padBatch(b.map((x) => x.rollout));
        const old = tf.tidy(() => this.policy.sequenceLogProbs(ids, mask));
        const ref = tf.tidy(() => this.reference.sequenceLogProbs(ids, mask));
        return { ids, mask, old, ref, adv: tf.tensor1d(b.map((x) => x.advantage)) };
      }),
    );
    // At least 1, so an iteration where every prompt overflowed the context still divides safely.
    const generatedTokens = Math.max(1, rollouts.reduce((a, r) => a + r.generated, 0));
    let loss = 0;
    let kl = 0;
    let clipped = 0;
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      let accumulated: Record<string, tf.Tensor> | null = null;
      for (const b of fixed) {
        const { value, grads } = tf.variableGrads(() => {
          const logp = this.policy.sequenceLogProbs(b.ids, b.mask);
          const m = targetMask(b.mask);
          const ratio = tf.exp(tf.sub(logp, b.old));
          const adv = b.adv.expandDims(1);
          const unclipped = tf.mul(ratio, adv);
          const clippedRatio = tf.clipByValue(ratio, 1 - c.clipEpsilon, 1 + c.clipEpsilon);
          const surrogate = tf.minimum(unclipped, tf.mul(clippedRatio, adv));
          const perTok = tf.sub(tf.mul(k3Kl(logp, b.ref), c.klCoef), surrogate);
          // Token-level mean over all generated tokens of the iteration (not per sequence),
          // so a short decisive turn weighs as much per token as a long one.
          return tf.div(tf.sum(tf.mul(perTok, m)), generatedTokens) as tf.Scalar;
        });
        loss += (await value.data())[0] as number;
        value.dispose();
        accumulated = addGrads(accumulated, grads);
      }
      if (accumulated) {
        const clippedGrads = clipByGlobalNorm(accumulated, c.maxGradNorm);
        this.optimizer.applyGradients(clippedGrads);
        tf.dispose(Object.values(accumulated));
        tf.dispose(Object.values(clippedGrads));
      }
    }
    // Diagnostics after the update: KL to the base and the share of clipped ratios.
    for (const b of fixed) {
      const [klSum, clipCount] = tf.tidy(() => {
        const logp = this.policy.sequenceLogProbs(b.ids, b.mask);
        const m = targetMask(b.mask);
        const klTok = k3Kl(logp, b.ref);
        const ratio = tf.exp(tf.sub(logp, b.old));
        const out = tf.logicalOr(tf.greater(ratio, 1 + c.clipEpsilon), tf.less(ratio, 1 - c.clipEpsilon)).toFloat();
        return [tf.sum(tf.mul(klTok, m)), tf.sum(tf.mul(out, m))];
      });
      kl += ((await klSum.data())[0] as number) / generatedTokens;
      clipped += ((await clipCount.data())[0] as number) / generatedTokens;
      tf.dispose([klSum, clipCount, b.ids, b.mask, b.old, b.ref, b.adv]);
    }
    const trainSeconds = (performance.now() - trainStarted) / 1000;
    const entropy = -rollouts.reduce((a, r) => a + r.sampledLogProbSum, 0) / generatedTokens;
    const trainTokens = rollouts.reduce((a, r) => a + r.ids.length, 0) * c.epochs;
    this.iteration++;
    return {
      ...metrics,
      iteration: this.iteration,
      loss: loss / c.epochs,
      kl,
      entropy,
      clipFraction: clipped,
      rolloutTokensPerSecond: generatedTokens / rolloutSeconds,
      trainTokensPerSecond: trainTokens / trainSeconds,
      seconds: (performance.now() - started) / 1000,
      backend: tf.getBackend(),
    };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** The mask of the predicted tokens (targets are ids[t+1]), as floats to weight per-token terms. */
export function targetMask(mask: tf.Tensor2D): tf.Tensor2D {
  return mask.slice([0, 1], [-1, -1]).toFloat();
}

/** k3 estimator of KL(policy || reference) per token (verl's low_var_kl): exp(r) - r - 1 with r = ref - logp, >= 0. */
function k3Kl(logp: tf.Tensor, ref: tf.Tensor): tf.Tensor {
  const r = tf.sub(ref, logp);
  return tf.sub(tf.sub(tf.exp(r), r), 1);
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Right-pads token ids (pad id 0) into [B, T] tensors; the mask marks generated tokens. */
export function padBatch(rollouts: Pick<Rollout, 'ids' | 'mask'>[]): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const T = Math.max(...rollouts.map((r) => r.ids.length));
  const ids = new Int32Array(rollouts.length * T);
  const mask = new Int32Array(rollouts.length * T);
  rollouts.forEach((r, b) => {
    ids.set(r.ids, b * T);
    mask.set(r.mask, b * T);
  });
  return { ids: tf.tensor2d(ids, [rollouts.length, T], 'int32'), mask: tf.tensor2d(mask, [rollouts.length, T], 'int32') };
}

function addGrads(acc: Record<string, tf.Tensor> | null, grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  if (!acc) return grads;
  const out: Record<string, tf.Tensor> = {};
  for (const [k, g] of Object.entries(grads)) {
    out[k] = tf.add(acc[k] as tf.Tensor, g);
    (acc[k] as tf.Tensor).dispose();
    g.dispose();
  }
  return out;
}

export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    const out: Record<string, tf.Tensor> = {};
    for (const [k, g] of Object.entries(grads)) out[k] = tf.mul(g, scale);
    return out;
  });
}
