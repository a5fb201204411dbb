// GRPO against the sandbox, readable top to bottom (after CleanRL's one-file style).
// Per iteration: B episodes × G rollouts each -> rewards -> advantages normalised within each group ->
// clipped-ratio policy loss over generated tokens only + KL penalty to the frozen base -> global-norm
// gradient clipping -> Adam. Under constrained decoding every log-probability here (old, new, base) is taken over the
// allowed set each token was sampled from. Diagnostics are measured on each minibatch during the update (as CleanRL).
import * as tf from '@tensorflow/tfjs';
import { aggregateMetrics, type Metrics } from '../core/metrics';
import { getPreset } from '../core/reward';
import type { RunConfig } from '../core/config';
import type { RolloutSandbox } from '../core/sandbox/pool';
import type { Episode } from '../core/types';
import type { TransformerLM } from './model';
import { allowedBias, anyConstrained } from './constrained';
import type { Replica, ReplicaRolloutOptions } from './replicas';
import { collectRollouts, type Rollout, type RolloutOptions, type TrainSequence } from './rollout';
import type { Tokenizer } from './tokenizer';

export interface IterationMetrics extends Metrics {
  iteration: number;
  loss: number;
  /** KL(policy || frozen base) per chosen token (k3 estimator), during the update: the penalised quantity. */
  kl: number;
  /** KL(old policy || policy) per chosen token (k3), during the update: how far the update moved the policy. */
  approxKl: number;
  /** Mean exact entropy of the (masked) distributions the rollouts' chosen tokens were drawn from. */
  entropy: number;
  /** Share of chosen tokens whose ratio fell outside [1 - clip, 1 + clip], during the update. */
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

/** What a caller may hear and stop during an iteration: each rollout's end, and an abort at the next boundary. */
export type GrpoHooks = Pick<RolloutOptions, 'onRollout' | 'signal'>;

export class GrpoTrainer {
  readonly optimizer: tf.Optimizer;
  iteration = 0;
  /** Replicas of the policy in other threads that play a share of each iteration's groups (Node; ./replicas.ts). */
  replicas: readonly Replica[] = [];

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

  /** One GRPO iteration: rollouts, rewards, advantages, `updatesPerIteration` clipped updates. `hooks`: live progress and pause. */
  async step(hooks: GrpoHooks = {}): Promise<IterationMetrics> {
    const c = this.config.grpo;
    const { seed, pYes, maxTurns } = this.config;
    const started = performance.now();
    const episodes = this.episodes(this.iteration);
    const { rollouts, metrics } = await this.collect(
      episodes,
      {
        groupSize: c.groupSize,
        maxTurns,
        pYes,
        maxNewTokens: c.maxNewTokens,
        temperature: c.temperature,
        topK: c.topK,
        seed: seed * 7919 + this.iteration,
        decoding: this.config.decoding,
      },
      hooks,
    );
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
      c.rolloutsPerPass,
    );
    // Old and reference log-probs are fixed for the whole iteration, under the same allowed sets as the new ones.
    const fixed = batches.map((b) => {
      const seqs = b.map((x) => x.rollout);
      const { ids, mask, bias } = padBatch(seqs, this.policy.config.vocabSize);
      const old = tf.tidy(() => this.policy.sequenceLogProbs(ids, mask, bias));
      const ref = tf.tidy(() => this.reference.sequenceLogProbs(ids, mask, bias));
      return { ids, mask, bias, old, ref, adv: tf.tensor1d(b.map((x) => x.advantage)) };
    });
    // At least 1, so an iteration where every prompt overflowed the context still divides safely.
    const chosenTokens = Math.max(1, rollouts.reduce((a, r) => a + r.mask.reduce((x, y) => x + y, 0), 0));
    let loss = 0;
    // Summed over every pass of every update, then divided by updates × chosen tokens.
    const diag = { kl: 0, approxKl: 0, clipped: 0 };
    for (let update = 0; update < c.updatesPerIteration; update++) {
      let accumulated: Record<string, tf.Tensor> | null = null;
      for (const b of fixed) {
        const measured: tf.Tensor[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const terms = policyLoss(this.policy.sequenceLogProbs(b.ids, b.mask, b.bias), b, targetMask(b.mask), c, chosenTokens);
          // Measured on this minibatch as the gradient sees it; kept out of the closure's cleanup.
          measured.push(tf.keep(terms.klSum), tf.keep(terms.approxKlSum), tf.keep(terms.clippedSum));
          return terms.loss;
        });
        loss += (await value.data())[0] as number;
        const [kl, approxKl, clipped] = await Promise.all(measured.map(async (t) => (await t.data())[0] as number));
        diag.kl += kl as number;
        diag.approxKl += approxKl as number;
        diag.clipped += clipped as number;
        tf.dispose([value, ...measured]);
        accumulated = addGrads(accumulated, grads);
      }
      if (accumulated) {
        const clippedGrads = clipByGlobalNorm(accumulated, c.maxGradNorm);
        this.optimizer.applyGradients(clippedGrads);
        tf.dispose(Object.values(accumulated));
        tf.dispose(Object.values(clippedGrads));
      }
    }
    for (const b of fixed) tf.dispose([b.ids, b.mask, b.bias ?? [], b.old, b.ref, b.adv]);
    const trainSeconds = (performance.now() - trainStarted) / 1000;
    const entropy = rollouts.reduce((a, r) => a + r.entropySum, 0) / chosenTokens;
    const trainTokens = rollouts.reduce((a, r) => a + r.ids.length, 0) * c.updatesPerIteration;
    const generatedTokens = rollouts.reduce((a, r) => a + r.generated, 0);
    const perToken = (x: number): number => x / (c.updatesPerIteration * chosenTokens);
    this.iteration++;
    return {
      ...metrics,
      iteration: this.iteration,
      loss: loss / c.updatesPerIteration,
      kl: perToken(diag.kl),
      approxKl: perToken(diag.approxKl),
      entropy,
      clipFraction: perToken(diag.clipped),
      rolloutTokensPerSecond: generatedTokens / rolloutSeconds,
      trainTokensPerSecond: trainTokens / trainSeconds,
      seconds: (performance.now() - started) / 1000,
      backend: tf.getBackend(),
    };
  }

  /**
   * The iteration's rollouts. With replicas (and a built-in reward they can score with), the groups are shared out:
   * the first share is played here through the run's sandbox, with the live hooks, the others at the same time by the
   * replicas with the current weights; each share samples from its own seed.
   */
  async collect(episodes: Episode[], opts: ReplicaRolloutOptions, hooks: GrpoHooks): Promise<{ rollouts: Rollout[]; metrics: Metrics }> {
    const reward = this.config.reward === 'custom' ? null : this.config.reward;
    const helpers = reward === null ? [] : this.replicas.slice(0, episodes.length - 1);
    if (reward === null || helpers.length === 0) return collectRollouts(this.policy, this.tokenizer, this.sandbox, episodes, { ...opts, ...hooks });
    const shares = Array.from({ length: helpers.length + 1 }, (_, k) => episodes.filter((_, i) => i % (helpers.length + 1) === k));
    const weights = await this.policy.getWeights();
    const remote = helpers.map((r, k) => r.rollouts(weights, shares[k + 1] as Episode[], { ...opts, seed: opts.seed + (k + 1) * 104_729 }, reward));
    const local = await collectRollouts(this.policy, this.tokenizer, this.sandbox, shares[0] as Episode[], { ...opts, ...hooks });
    let offset = 0;
    const rollouts = [local.rollouts, ...(await Promise.all(remote))].flatMap((share, k) => {
      const renumbered = share.map((r) => ({ ...r, group: r.group + offset }));
      offset += (shares[k] as Episode[]).length;
      return renumbered;
    });
    const preset = getPreset(reward);
    const metrics = aggregateMetrics(rollouts.map((r) => ({ episode: r.episode, trace: r.trace, reward: r.reward })), preset.policy, preset.max);
    return { rollouts, metrics };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/**
 * The GRPO loss of one minibatch, with the diagnostics that come with it: per chosen token (mask m), the clipped
 * surrogate -min(ratio·A, clip(ratio)·A) plus klCoef × KL to the base, summed and divided by `tokens` (the chosen
 * tokens of the whole iteration: a token-level mean, so a short decisive turn weighs as much per token as a long one).
 */
export function policyLoss(
  logp: tf.Tensor2D,
  fixed: { old: tf.Tensor2D; ref: tf.Tensor2D; adv: tf.Tensor1D },
  m: tf.Tensor2D,
  c: { clipEpsilon: number; klCoef: number },
  tokens: number,
): { loss: tf.Scalar; klSum: tf.Scalar; approxKlSum: tf.Scalar; clippedSum: tf.Scalar } {
  const ratio = tf.exp(tf.sub(logp, fixed.old));
  const adv = fixed.adv.expandDims(1);
  const clippedRatio = tf.clipByValue(ratio, 1 - c.clipEpsilon, 1 + c.clipEpsilon);
  const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(clippedRatio, adv));
  const klTok = k3Kl(logp, fixed.ref);
  const perTok = tf.sub(tf.mul(klTok, c.klCoef), surrogate);
  const sum = (t: tf.Tensor): tf.Scalar => tf.sum(tf.mul(t, m));
  return {
    loss: tf.div(sum(perTok), tokens),
    klSum: sum(klTok),
    approxKlSum: sum(k3Kl(fixed.old, logp)),
    clippedSum: sum(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipEpsilon).toFloat()),
  };
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

/**
 * Right-pads token ids (pad id 0) into [B, T] tensors; the mask marks the policy's chosen tokens; the bias carries the
 * allowed sets of constrained decoding (undefined when no sequence has any).
 */
export function padBatch(seqs: readonly TrainSequence[], vocabSize: number): { ids: tf.Tensor2D; mask: tf.Tensor2D; bias?: tf.Tensor3D } {
  const T = Math.max(...seqs.map((r) => r.ids.length));
  const ids = new Int32Array(seqs.length * T);
  const mask = new Int32Array(seqs.length * T);
  seqs.forEach((r, b) => {
    ids.set(r.ids, b * T);
    mask.set(r.mask, b * T);
  });
  return {
    ids: tf.tensor2d(ids, [seqs.length, T], 'int32'),
    mask: tf.tensor2d(mask, [seqs.length, T], 'int32'),
    bias: anyConstrained(seqs) ? allowedBias(seqs, T, vocabSize) : undefined,
  };
}

/** Sums gradients into an accumulator (the first ones become it), freeing what it replaces. */
export function addGrads(acc: Record<string, tf.Tensor> | null, grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
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
