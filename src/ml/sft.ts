// Supervised cold start: teach the base model the format (tags, JSON calls, checks, refusals, answers)
// from scripted transcripts whose decisions follow a prior independent of the class, so the base is
// fluent but not safe — the analogue of the paper's instruct model with no defense.
import * as tf from '@tensorflow/tfjs';
import type { Decoding, SftConfig } from '../core/config';
import type { TokenSet } from '../core/grammar';
import { EOS, renderConversation } from '../core/protocol';
import type { ChatMessage, ToolSpec } from '../core/types';
import { replayTurn, turnConstraint } from './constrained';
import type { TransformerLM } from './model';
import type { TrainSequence } from './rollout';
import type { Tokenizer } from './tokenizer';
import { addGrads, clipByGlobalNorm, padBatch, targetMask } from './grpo';
import type { Replica } from './replicas';

/** Transcripts a cold-start forward pass takes at once (see sftStep). */
const SFT_CHUNK = 8;

/** Tokens of room a replayed scripted turn gets beyond its own length (see encodeConversation). */
const GUARD_SLACK = 32;

/** How the assistant turns of a transcript are scored: under the grammar of `tools` with `budget` tokens a turn, or free. */
export interface TurnScoring {
  decoding: Decoding;
  tools: readonly ToolSpec[];
  budget: number;
}

/**
 * Token ids of a finished conversation; the mask marks the assistant tokens the policy chooses (what the model learns
 * to write). Under constrained decoding each assistant turn is replayed through its grammar: its tokens get their
 * allowed sets, and a token that was the only one allowed is no choice (mask 0).
 */
export function encodeConversation(tokenizer: Tokenizer, messages: ChatMessage[], scoring: TurnScoring): TrainSequence {
  const firstAssistant = messages.findIndex((m) => m.role === 'assistant');
  const head = firstAssistant < 0 ? messages : messages.slice(0, firstAssistant);
  const ids = tokenizer.encode(renderConversation(head));
  const mask = ids.map(() => 0);
  const allowed: (TokenSet | null)[] = ids.map(() => null);
  if (firstAssistant < 0) return { ids, mask, allowed };
  messages.slice(firstAssistant).forEach((m, i, rest) => {
    if (m.role === 'assistant') {
      const piece = tokenizer.encode(m.content + EOS);
      // The budget guard counts what is left of a turn from a greedy spelling of each grammar part, which can exceed
      // the real tokens by a few (BPE merges across parts), so a long scripted turn is replayed with room to spare:
      // its allowed sets are then the grammar's without the guard, which rollouts apply only near their budget's end.
      const budget = Math.max(scoring.budget, piece.length + GUARD_SLACK);
      const constraint = turnConstraint(tokenizer, scoring.decoding, scoring.tools, messages.slice(0, firstAssistant + i), budget);
      const sets = constraint ? replayTurn(constraint, piece, tokenizer) : piece.map(() => null);
      ids.push(...piece);
      mask.push(...sets.map((set) => (constraint && !set ? 0 : 1)));
      allowed.push(...sets);
      return;
    }
    // renderConversation ends with the assistant marker; an assistant body follows it directly.
    const isLast = i === rest.length - 1;
    const piece = tokenizer.encode(isLast ? renderConversation([m]).replace(/<\|assistant\|>$/, '') : renderConversation([m]));
    ids.push(...piece);
    mask.push(...piece.map(() => 0));
    allowed.push(...piece.map(() => null));
  });
  return { ids, mask, allowed };
}

/** The learning rate of cold-start step `step` (0-based): constant, then linear towards 0 over the last decayFraction. */
export function sftLearningRate(sft: Pick<SftConfig, 'steps' | 'learningRate' | 'decayFraction'>, step: number): number {
  const decaySteps = sft.decayFraction * sft.steps;
  const left = sft.steps - step;
  return left >= decaySteps ? sft.learningRate : (sft.learningRate * Math.max(0, left)) / decaySteps;
}

/** The gradients of one chunk of a batch, in the order of model.variables, with the chunk's sum of chosen log-probs. */
export interface ChunkGradients {
  grads: tf.Tensor[];
  chosenLogProb: number;
}

/**
 * One chunk's share of a supervised step's loss: cross-entropy weighted 1 on the policy's chosen tokens (renormalised
 * over their allowed sets under constrained decoding) and `contextWeight` on the rest (system, user, tool replies,
 * forced tokens: plain next-token prediction of text the model reads), divided by the whole batch's weight `total`.
 * The same function runs on the main thread and in the replicas (./replicas.ts), so a step's chunks add up alike.
 */
export async function chunkGradients(model: TransformerLM, chunk: TrainSequence[], total: number, contextWeight: number): Promise<ChunkGradients> {
  const { ids, mask, bias } = padBatch(chunk, model.config.vocabSize);
  // Every real token is a target (padding is not); the weights then pick how much each counts.
  const [B, T] = ids.shape;
  const realMask = new Int32Array(B * T);
  chunk.forEach((s, b) => realMask.fill(1, b * T, b * T + s.ids.length));
  const real = tf.tensor2d(realMask, [B, T], 'int32');
  const reported: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const logp = model.sequenceLogProbs(ids, real, bias);
    const assistant = targetMask(mask);
    const weights = tf.add(assistant, tf.mul(tf.sub(targetMask(real), assistant), contextWeight));
    // Reported, not differentiated: kept out of the closure's cleanup.
    reported.push(tf.keep(tf.sum(tf.mul(logp, assistant))));
    return tf.neg(tf.div(tf.sum(tf.mul(logp, weights)), total)) as tf.Scalar;
  }, model.variables);
  const chosenLogProb = (await (reported[0] as tf.Tensor).data())[0] as number;
  tf.dispose([ids, mask, real, value, bias ?? [], ...reported]);
  return { grads: model.variables.map((v) => grads[v.name] as tf.Tensor), chosenLogProb };
}

/**
 * One supervised step (see chunkGradients) on chunks of SFT_CHUNK transcripts, gradients summed; with replicas, all
 * but the main thread's share of the chunks are computed there at the same time. Returns the chosen tokens' mean
 * cross-entropy.
 */
export async function sftStep(
  model: TransformerLM,
  optimizer: tf.Optimizer,
  batch: TrainSequence[],
  maxGradNorm: number,
  contextWeight = 0,
  replicas: readonly Replica[] = [],
): Promise<number> {
  // The normalisers of the whole batch, counted here so each chunk's share of the loss is exact: targets are every
  // token after the first; the assistant's chosen ones weigh 1, the rest contextWeight.
  const chosen = batch.reduce((a, s) => a + s.mask.slice(1).reduce((x, y) => x + y, 0), 0);
  const targets = batch.reduce((a, s) => a + Math.max(0, s.ids.length - 1), 0);
  const total = Math.max(1, chosen + contextWeight * (targets - chosen));
  // Chunks: the same step at a fraction of the peak memory ([B, T, V] logits and their mask, which at the release
  // size outgrew wasm's 4 GB heap in one piece), and the unit of work a replica takes.
  const chunks: TrainSequence[][] = [];
  for (let i = 0; i < batch.length; i += SFT_CHUNK) chunks.push(batch.slice(i, i + SFT_CHUNK));
  // Chunk k goes to worker k mod (replicas + 1), worker 0 being this thread; the replicas' requests leave first.
  const workers = replicas.length + 1;
  const weights = replicas.length > 0 && chunks.length > 1 ? await model.getWeights() : null;
  const remote = weights
    ? chunks.flatMap((chunk, k) => (k % workers === 0 ? [] : [(replicas[(k % workers) - 1] as Replica).sftGradients(weights, chunk, total, contextWeight)]))
    : [];
  const parts: ChunkGradients[] = [];
  for (const [k, chunk] of chunks.entries()) if (!weights || k % workers === 0) parts.push(await chunkGradients(model, chunk, total, contextWeight));
  for (const r of await Promise.all(remote)) {
    parts.push({ grads: r.grads.map((g, i) => tf.tensor(g, (model.variables[i] as tf.Variable).shape)), chosenLogProb: r.chosenLogProb });
  }
  let accumulated: Record<string, tf.Tensor> | null = null;
  for (const part of parts) accumulated = addGrads(accumulated, Object.fromEntries(model.variables.map((v, i) => [v.name, part.grads[i] as tf.Tensor])));
  if (accumulated) {
    const clipped = clipByGlobalNorm(accumulated, maxGradNorm);
    optimizer.applyGradients(clipped);
    tf.dispose([...Object.values(accumulated), ...Object.values(clipped)]);
  }
  return -parts.reduce((a, p) => a + p.chosenLogProb, 0) / Math.max(1, chosen);
}
