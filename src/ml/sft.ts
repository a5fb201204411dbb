// Supervised cold start: teach the base model the format (tags, JSON calls, checks, refusals, answers)
// from scripted transcripts whose decisions follow a prior independent of the class, so the base is
// fluent but not safe — the analogue of the paper's instruct model with no defense.
import * as tf from '@tensorflow/tfjs';
import { EOS, renderConversation } from '../core/protocol';
import type { ChatMessage } from '../core/types';
import type { TransformerLM } from './model';
import type { Tokenizer } from './tokenizer';
import { clipByGlobalNorm, padBatch, targetMask } from './grpo';

export interface SftConfig {
  steps: number;
  batchSize: number;
  learningRate: number;
  maxGradNorm: number;
}

export const DEFAULT_SFT: SftConfig = { steps: 400, batchSize: 16, learningRate: 2e-3, maxGradNorm: 1 };

/** Token ids of a finished conversation; the mask marks the assistant turns (what the model learns to write). */
export function encodeConversation(tokenizer: Tokenizer, messages: ChatMessage[]): { ids: number[]; mask: number[] } {
  const firstAssistant = messages.findIndex((m) => m.role === 'assistant');
  const head = firstAssistant < 0 ? messages : messages.slice(0, firstAssistant);
  const ids = tokenizer.encode(renderConversation(head));
  const mask = ids.map(() => 0);
  if (firstAssistant < 0) return { ids, mask };
  const rest = messages.slice(firstAssistant);
  rest.forEach((m, i) => {
    // renderConversation ends with the assistant marker; an assistant body follows it directly.
    const isLast = i === rest.length - 1;
    const piece =
      m.role === 'assistant'
        ? tokenizer.encode(m.content + EOS)
        : tokenizer.encode(isLast ? renderConversation([m]).replace(/<\|assistant\|>$/, '') : renderConversation([m]));
    ids.push(...piece);
    mask.push(...piece.map(() => (m.role === 'assistant' ? 1 : 0)));
  });
  return { ids, mask };
}

/** One supervised step on a batch of conversations: mean cross-entropy over assistant tokens. */
export async function sftStep(
  model: TransformerLM,
  optimizer: tf.Optimizer,
  batch: { ids: number[]; mask: number[] }[],
  maxGradNorm: number,
): Promise<number> {
  const { ids, mask } = padBatch(batch);
  const { value, grads } = tf.variableGrads(() => {
    const logp = model.sequenceLogProbs(ids, mask);
    const m = targetMask(mask);
    return tf.neg(tf.div(tf.sum(tf.mul(logp, m)), tf.maximum(tf.sum(m), 1))) as tf.Scalar;
  });
  const clipped = clipByGlobalNorm(grads, maxGradNorm);
  optimizer.applyGradients(clipped);
  const loss = (await value.data())[0] as number;
  tf.dispose([ids, mask, value, ...Object.values(grads), ...Object.values(clipped)]);
  return loss;
}
