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
      tf.dispose([ids, mask, bias ?? []]);
      return { seqs, old, ref, advantages: b.map((x) => x.advantage) };
    });
    // At least 1, so an iteration where every prompt overflowed the context still divides safely.
    const chosenTokens = Math.max(1, rollouts.reduce((a, r) => a + r.mask.reduce((x, y) => x + y, 0), 0));
    // With replicas, pass k of an update goes to worker k mod (replicas + 1), worker 0 being this thread.
    const workers = this.replicas.length + 1;
    const shipped = workers > 1 && fixed.length > 1 ? await Promise.all(fixed.map(async (b) => ({ old: (await b.old.data()) as Float32Array, ref: (await b.ref.data()) as Float32Array }))) : null;
    let loss = 0;
    // Summed over every pass of every update, then divided by updates × chosen tokens.
    const diag = { kl: 0, approxKl: 0, clipped: 0 };
    for (let update = 0; update < c.updatesPerIteration; update++) {
      const weights = shipped ? await this.policy.getWeights() : null;
      const remote = fixed.flatMap((b, k) => {
        if (!weights || !shipped || k % workers === 0) return [];
        const sent = shipped[k] as { old: Float32Array; ref: Float32Array };
        const replica = this.replicas[(k % workers) - 1] as Replica;
        return [replica.grpoGradients(weights, { seqs: b.seqs, old: sent.old, ref: sent.ref, advantages: b.advantages }, c, chosenTokens)];
      });
      const parts: PassGradients[] = [];
      for (const [k, b] of fixed.entries()) if (!weights || k % workers === 0) parts.push(await passGradients(this.policy, b, c, chosenTokens));
      for (const r of await Promise.all(remote)) parts.push({ ...r, grads: r.grads.map((g, i) => tf.tensor(g, (this.policy.variables[i] as tf.Variable).shape)) });
      let accumulated: Record<string, tf.Tensor> | null = null;
      for (const part of parts) {
        loss += part.loss;
        diag.kl += part.kl;
        diag.approxKl += part.approxKl;
        diag.clipped += part.clipped;
        accumulated = addGrads(accumulated, Object.fromEntries(this.policy.variables.map((v, i) => [v.name, part.grads[i] as tf.Tensor])));
      }
      if (accumulated) {
        const clippedGrads = clipByGlobalNorm(accumulated, c.maxGradNorm);
        this.optimizer.applyGradients(clippedGrads);
        tf.dispose(Object.values(accumulated));
        tf.dispose(Object.values(clippedGrads));
      }
    }
    for (const b of fixed) tf.dispose([b.old, b.ref]);
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

/** One pass's rollouts with what is fixed for the iteration: old and reference log-probs ([B, T-1]) and advantages. */
export interface FixedPass<T = tf.Tensor2D | Float32Array> {
  seqs: TrainSequence[];
  old: T;
  ref: T;
  advantages: number[];
}

/** The gradients of one pass (in the order of model.variables) with its loss share and diagnostic sums. */
export interface PassGradients<G = tf.Tensor> {
  grads: G[];
  loss: number;
  kl: number;
  approxKl: number;
  clipped: number;
}

/**
 * The gradients of one pass of an update (policyLoss on its rollouts under the model's current weights). The same
 * function runs on the main thread and in the replicas (./replicas.ts), so an update's passes add up alike.
 */
export async function passGradients(model: TransformerLM, pass: FixedPass, c: { clipEpsilon: number; klCoef: number }, tokens: number): Promise<PassGradients> {
  const { ids, mask, bias } = padBatch(pass.seqs, model.config.vocabSize);
  const shape = [pass.seqs.length, (ids.shape[1] as number) - 1];
  const old = pass.old instanceof Float32Array ? tf.tensor2d(pass.old, shape as [number, number]) : pass.old;
  const ref = pass.ref instanceof Float32Array ? tf.tensor2d(pass.ref, shape as [number, number]) : pass.ref;
  const adv = tf.tensor1d(pass.advantages);
  const measured: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const terms = policyLoss(model.sequenceLogProbs(ids, mask, bias), { old, ref, adv }, targetMask(mask), c, tokens);
    // Measured on this pass as the gradient sees it; kept out of the closure's cleanup.
    measured.push(tf.keep(terms.klSum), tf.keep(terms.approxKlSum), tf.keep(terms.clippedSum));
    return terms.loss;
  }, model.variables);
  const [loss, kl, approxKl, clipped] = await Promise.all([value, ...measured].map(async (t) => (await t.data())[0] as number));
  tf.dispose([ids, mask, bias ?? [], adv, value, ...measured, ...(old === pass.old ? [] : [old]), ...(ref === pass.ref ? [] : [ref])]);
  return { grads: model.variables.map((v) => grads[v.name] as tf.Tensor), loss: loss as number, kl: kl as number, approxKl: approxKl as number, clipped: clipped as number };
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

/**
 * k3 estimator of KL(policy || reference) per token, as verl's low_var_kl: exp(r) - r - 1 with r = ref - logp clamped
 * to [-20, 20], the result clamped to at most 10. Unclamped, a few tokens whose log-prob fell far after one update
 * dominated: the release run's first iteration reported KL 3.07, all of it from one pass of five (its sum over tokens
 * 12,978; 0.02-0.03 in each of the others), so those tokens' KL term outweighed the rest of that update.
 */
function k3Kl(logp: tf.Tensor, ref: tf.Tensor): tf.Tensor {
  const r = tf.clipByValue(tf.sub(ref, logp), -20, 20);
  return tf.minimum(tf.sub(tf.sub(tf.exp(r), r), 1), 10);
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
