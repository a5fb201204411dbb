// Multi-turn rollouts: many sandbox sessions advanced in lockstep, one batched generation per turn.
// Token ids are kept as generated (never re-encoded), so the trainer scores exactly what was sampled;
// sandbox replies (tool responses, check results) are appended with mask 0.
import { EOS, renderConversation } from '../core/protocol';
import { EpisodeSession } from '../core/sandbox';
import { hashString } from '../core/rng';
import type { Episode, Trace } from '../core/types';
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
}

export interface Rollout {
  episode: Episode;
  /** Index of the episode's group in the batch. */
  group: number;
  trace: Trace;
  /** The whole conversation as token ids. */
  ids: number[];
  /** 1 where the policy generated the token, 0 for prompt and sandbox tokens. */
  mask: number[];
  /** Tokens the policy generated. */
  generated: number;
  /** Sum of the sampled tokens' log-probabilities (minus it over `generated` estimates the entropy). */
  sampledLogProbSum: number;
}

export async function collectRollouts(
  model: TransformerLM,
  tokenizer: Tokenizer,
  episodes: Episode[],
  opts: RolloutOptions,
): Promise<Rollout[]> {
  const eosId = tokenizer.specialId(EOS);
  const runs = episodes.flatMap((episode, group) =>
    Array.from({ length: opts.groupSize }, (_, g) => {
      const session = new EpisodeSession(episode, {
        pYes: opts.pYes,
        maxTurns: opts.maxTurns,
        seed: hashString(`${opts.seed}:${episode.id}:${g}`),
      });
      const ids = tokenizer.encode(renderConversation(session.messages));
      return { episode, group, session, ids, mask: ids.map(() => 0), generated: 0, sampledLogProbSum: 0 };
    }),
  );
  for (let turn = 0; runs.some((r) => !r.session.done); turn++) {
    const active = runs.filter((r) => !r.session.done);
    // A conversation that no longer fits the context ends as a malformed (empty) turn.
    const fits = active.filter((r) => r.ids.length + opts.maxNewTokens <= model.config.contextLength);
    for (const r of active) if (!fits.includes(r)) r.session.step('');
    if (fits.length === 0) continue;
    const out = await model.generate(
      fits.map((r) => r.ids),
      {
        maxNewTokens: opts.maxNewTokens,
        temperature: opts.temperature,
        topK: opts.topK,
        stopId: eosId,
        seed: hashString(`${opts.seed}:turn${turn}`),
      },
    );
    fits.forEach((r, i) => {
      const tokens = out.tokens[i] ?? [];
      const stopped = out.stopped[i] ?? false;
      const body = stopped ? tokens.slice(0, -1) : tokens;
      const { reply } = r.session.step(tokenizer.decode(body) + (stopped ? EOS : ''));
      r.ids.push(...tokens);
      r.mask.push(...tokens.map(() => 1));
      r.generated += tokens.length;
      r.sampledLogProbSum += (out.logProbs[i] ?? []).reduce((a, b) => a + b, 0);
      if (reply && !r.session.done) {
        const replyIds = tokenizer.encode(renderConversation([reply]));
        r.ids.push(...replyIds);
        r.mask.push(...replyIds.map(() => 0));
      }
    });
  }
  // Generated tokens always fit (checked before each turn); a last sandbox reply may not, and is not trained on.
  return runs.map((r) => ({
    episode: r.episode,
    group: r.group,
    trace: r.session.trace(),
    ...fitContext(r, model.config.contextLength),
    generated: r.generated,
    sampledLogProbSum: r.sampledLogProbSum,
  }));
}

/** A token sequence cut to the context: the tail goes, never the prompt. */
export function fitContext(seq: { ids: number[]; mask: number[] }, contextLength: number): { ids: number[]; mask: number[] } {
  return { ids: seq.ids.slice(0, contextLength), mask: seq.mask.slice(0, contextLength) };
}
