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

/**
 * One supervised step: cross-entropy weighted 1 on the policy's chosen tokens (renormalised over their allowed sets
 * under constrained decoding) and `contextWeight` on the rest (system, user, tool replies, forced tokens: plain
 * next-token prediction of text the model reads), normalised by the total weight; the returned loss is the chosen
 * tokens' mean cross-entropy.
 */
export async function sftStep(
  model: TransformerLM,
  optimizer: tf.Optimizer,
  batch: TrainSequence[],
  maxGradNorm: number,
  contextWeight = 0,
): Promise<number> {
  // The normalisers of the whole batch, counted here so each chunk's share of the loss is exact: targets are every
  // token after the first; the assistant's chosen ones weigh 1, the rest contextWeight.
  const chosen = batch.reduce((a, s) => a + s.mask.slice(1).reduce((x, y) => x + y, 0), 0);
  const targets = batch.reduce((a, s) => a + Math.max(0, s.ids.length - 1), 0);
  const total = Math.max(1, chosen + contextWeight * (targets - chosen));
  let accumulated: Record<string, tf.Tensor> | null = null;
  let chosenLogProb = 0;
  // Chunks of SFT_CHUNK transcripts, gradients summed: the same step at a fraction of the peak memory ([B, T, V]
  // logits and their mask, which at the release size outgrew wasm's 4 GB heap in one piece).
  for (let i = 0; i < batch.length; i += SFT_CHUNK) {
    const chunk = batch.slice(i, i + SFT_CHUNK);
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
    });
    chosenLogProb += (await (reported[0] as tf.Tensor).data())[0] as number;
    accumulated = addGrads(accumulated, grads);
    tf.dispose([ids, mask, real, value, bias ?? [], ...reported]);
  }
  if (accumulated) {
    const clipped = clipByGlobalNorm(accumulated, maxGradNorm);
    optimizer.applyGradients(clipped);
    tf.dispose([...Object.values(accumulated), ...Object.values(clipped)]);
  }
  return -chosenLogProb / Math.max(1, chosen);
}
