// Multi-turn rollouts: many sandbox sessions advanced in lockstep, one batched generation per turn.
// The sessions live behind a RolloutSandbox (in-process, or the page's sandbox worker): this side only sends
// assistant texts and gets replies, traces and rewards back.
// Token ids are kept as generated (never re-encoded), so the trainer scores exactly what was sampled;
// sandbox replies (tool responses, check results) are appended with mask 0. Under constrained decoding each turn is
// generated under the grammar built from the episode's tools and the conversation so far, and the allowed set of every
// sampled token is kept, so training scores the same renormalised distribution the rollout sampled from.
import type { Decoding } from '../core/config';
import type { TokenSet } from '../core/grammar';
import type { Metrics } from '../core/metrics';
import { EOS, renderConversation } from '../core/protocol';
import type { RolloutSandbox } from '../core/sandbox/pool';
import { hashString } from '../core/rng';
import type { ChatMessage, Episode, RewardResult, Trace } from '../core/types';
import { turnConstraint } from './constrained';
import type { TransformerLM } from './model';
import type { Tokenizer } from './tokenizer';

export interface RolloutOptions {
  /** Rollouts per episode (the group of GRPO). */
  groupSize: number;
  maxTurns: number;
  pYes: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  seed: number;
  decoding: Decoding;
  /** Told as each rollout ends (live progress): rollouts ended so far, of how many, and the index of this one. */
  onRollout?: (done: number, total: number, index: number) => void;
  /** Checked before each turn: once aborted, the batch stops there with the signal's reason (a pause). */
  signal?: AbortSignal;
}

export interface Rollout {
  episode: Episode;
  /** Index of the episode's group in the batch. */
  group: number;
  trace: Trace;
  reward: RewardResult;
  /** The whole conversation as token ids. */
  ids: number[];
  /**
   * 1 where the policy chose the token, 0 for prompt and sandbox tokens and for tokens the grammar forced (the only
   * one allowed: no choice, nothing to learn).
   */
  mask: number[];
  /** Per token, the allowed set it was sampled from (constrained decoding), else null. */
  allowed: (TokenSet | null)[];
  /** Tokens the policy generated, forced ones included. */
  generated: number;
  /** Sum over the chosen tokens of the exact entropy of the distribution each was drawn from. */
  entropySum: number;
}

export async function collectRollouts(
  model: TransformerLM,
  tokenizer: Tokenizer,
  sandbox: RolloutSandbox,
  episodes: Episode[],
  opts: RolloutOptions,
): Promise<{ rollouts: Rollout[]; metrics: Metrics }> {
  const eosId = tokenizer.specialId(EOS);
  const opening = await sandbox.start({ episodes, groupSize: opts.groupSize, pYes: opts.pYes, maxTurns: opts.maxTurns, seed: opts.seed });
  const runs = opening.map((messages, i) => {
    const ids = tokenizer.encode(renderConversation(messages));
    const group = Math.floor(i / opts.groupSize);
    const allowed: (TokenSet | null)[] = ids.map(() => null);
    return { episode: episodes[group] as Episode, group, done: false, messages: [...messages] as ChatMessage[], ids, mask: ids.map(() => 0), allowed, generated: 0, entropySum: 0 };
  });
  let ended = 0;
  for (let turn = 0; runs.some((r) => !r.done); turn++) {
    opts.signal?.throwIfAborted();
    const texts: (string | null)[] = runs.map(() => null);
    // Rollouts still running whose conversation leaves room for a turn; one that no longer fits the context ends
    // as a malformed (empty) turn.
    const fits: number[] = [];
    runs.forEach((r, i) => {
      if (r.done) return;
      if (r.ids.length + opts.maxNewTokens <= model.config.contextLength) fits.push(i);
      else texts[i] = '';
    });
    const out =
      fits.length === 0
        ? null
        : await model.generate(
            fits.map((i) => (runs[i] as (typeof runs)[number]).ids),
            {
              maxNewTokens: opts.maxNewTokens,
              temperature: opts.temperature,
              topK: opts.topK,
              stopId: eosId,
              seed: hashString(`${opts.seed}:turn${turn}`),
              constraints: fits.map((i) => {
                const r = runs[i] as (typeof runs)[number];
                return turnConstraint(tokenizer, opts.decoding, r.episode.tools, r.messages, opts.maxNewTokens);
              }),
            },
          );
    fits.forEach((i, j) => {
      const r = runs[i] as (typeof runs)[number];
      const tokens = out?.tokens[j] ?? [];
      const stopped = out?.stopped[j] ?? false;
      const body = stopped ? tokens.slice(0, -1) : tokens;
      texts[i] = tokenizer.decode(body) + (stopped ? EOS : '');
      const allowed = out?.allowed[j] ?? [];
      // A forced token (the only one the grammar allowed) was no choice of the policy's.
      const chosen = tokens.map((_, k) => (opts.decoding === 'free' || allowed[k] ? 1 : 0));
      r.ids.push(...tokens);
      r.mask.push(...chosen);
      r.allowed.push(...tokens.map((_, k) => allowed[k] ?? null));
      r.generated += tokens.length;
      r.entropySum += (out?.entropy[j] ?? []).reduce((a, b) => a + b, 0);
    });
    const replies = await sandbox.step(texts);
    replies.forEach((step, i) => {
      if (!step) return;
      const r = runs[i] as (typeof runs)[number];
      r.done = step.done;
      r.messages.push({ role: 'assistant', content: texts[i] ?? '' });
      if (r.done) opts.onRollout?.(++ended, runs.length, i);
      if (step.reply && !step.done) {
        const replyIds = tokenizer.encode(renderConversation([step.reply]));
        r.messages.push(step.reply);
        r.ids.push(...replyIds);
        r.mask.push(...replyIds.map(() => 0));
        r.allowed.push(...replyIds.map(() => null));
      }
    });
  }
  const { traces, rewards, metrics } = await sandbox.finish();
  // Generated tokens always fit (checked before each turn); a last sandbox reply may not, and is not trained on.
  const rollouts = runs.map((r, i) => ({
    episode: r.episode,
    group: r.group,
    trace: traces[i] as Trace,
    reward: rewards[i] as RewardResult,
    ...fitContext(r, model.config.contextLength),
    generated: r.generated,
    entropySum: r.entropySum,
  }));
  return { rollouts, metrics };
}

/** A token sequence cut to the context: the tail goes, never the prompt. */
export function fitContext(seq: TrainSequence, contextLength: number): TrainSequence {
  return { ids: seq.ids.slice(0, contextLength), mask: seq.mask.slice(0, contextLength), allowed: seq.allowed.slice(0, contextLength) };
}

/** What training scores: token ids, which of them the policy chose, and the allowed set of each choice. */
export interface TrainSequence {
  ids: number[];
  mask: number[];
  allowed: (TokenSet | null)[];
}
