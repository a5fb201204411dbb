// Evaluating a learned policy: whole episodes in the sandbox (greedy, repeatable) and single next turns on cases.
import { decisionCorrect } from '../core/benchmarks/report';
import { classifyCompletion, type CaseResult } from '../core/benchmarks/result';
import { caseToMessages, type Case } from '../core/cases';
import type { Decoding } from '../core/config';
import { aggregateMetrics, type Metrics } from '../core/metrics';
import { EOS, renderConversation } from '../core/protocol';
import { SandboxPool } from '../core/sandbox/pool';
import { generateEpisodes } from '../core/scenarios';
import type { RewardPreset, Split } from '../core/types';
import { turnConstraint } from './constrained';
import type { TransformerLM } from './model';
import { collectRollouts, type Rollout } from './rollout';
import type { Tokenizer } from './tokenizer';

export interface EpisodeEvalOptions {
  split: Split;
  n: number;
  seed: number;
  preset: RewardPreset;
  pYes: number;
  maxTurns: number;
  maxNewTokens: number;
  decoding: Decoding;
}

/**
 * Episodes played together in one batch: one batch of 32 test-split episodes, whose tool lists are longer, took the
 * wasm heap to 3 GB and a later one past wasm's 4 GB.
 */
const EPISODE_BATCH = 16;

/** Plays n episodes of a split greedily and aggregates the metrics. */
export async function evaluateEpisodes(
  model: TransformerLM,
  tokenizer: Tokenizer,
  opts: EpisodeEvalOptions,
): Promise<{ rollouts: Rollout[]; metrics: Metrics }> {
  const episodes = generateEpisodes({ split: opts.split, n: opts.n, seed: opts.seed });
  const sandbox = new SandboxPool(opts.preset);
  const rollouts: Rollout[] = [];
  for (let i = 0; i < episodes.length; i += EPISODE_BATCH) {
    const batch = await collectRollouts(model, tokenizer, sandbox, episodes.slice(i, i + EPISODE_BATCH), {
      groupSize: 1,
      maxTurns: opts.maxTurns,
      pYes: opts.pYes,
      maxNewTokens: opts.maxNewTokens,
      temperature: 0,
      topK: 0,
      seed: opts.seed,
      decoding: opts.decoding,
    });
    rollouts.push(...batch.rollouts);
  }
  // Batches are scored separately; the metrics of the whole evaluation come from all rollouts at once.
  const metrics = aggregateMetrics(
    rollouts.map((r) => ({ episode: r.episode, trace: r.trace, reward: r.reward })),
    opts.preset.policy,
    opts.preset.max,
  );
  return { rollouts, metrics };
}

export type { CaseResult } from '../core/benchmarks/result';

/** The policy's next assistant turn for each case (greedy), classified. */
export async function evaluateCases(
  model: TransformerLM,
  tokenizer: Tokenizer,
  cases: Case[],
  opts: { maxNewTokens: number; decoding: Decoding; batch?: number },
): Promise<CaseResult[]> {
  const eosId = tokenizer.specialId(EOS);
  const size = opts.batch ?? 32;
  const out: CaseResult[] = [];
  for (let i = 0; i < cases.length; i += size) {
    const chunk = cases.slice(i, i + size);
    const budget = model.config.contextLength - opts.maxNewTokens;
    const gen = await model.generate(
      chunk.map((c) => casePrompt(tokenizer, c, budget)),
      {
        maxNewTokens: opts.maxNewTokens,
        temperature: 0,
        topK: 0,
        stopId: eosId,
        seed: 0,
        constraints: chunk.map((c) => turnConstraint(tokenizer, opts.decoding, c.tools, caseToMessages(c), opts.maxNewTokens)),
      },
    );
    chunk.forEach((c, j) => {
      const tokens = gen.tokens[j] ?? [];
      const stopped = gen.stopped[j] ?? false;
      out.push(classifyCompletion(c, tokenizer.decode(stopped ? tokens.slice(0, -1) : tokens) + (stopped ? EOS : '')));
    });
  }
  return out;
}

/**
 * A case's prompt in at most `budget` tokens. One too long loses its middle: the start of the system prompt (the
 * instruction and the first tools, up to half the budget) and the most recent tokens (the request or tool output
 * to act on, and the assistant marker) stay, as the decision needs both.
 */
export function casePrompt(tokenizer: Tokenizer, c: Case, budget: number): number[] {
  const messages = caseToMessages(c);
  const ids = tokenizer.encode(renderConversation(messages));
  if (ids.length <= budget) return ids;
  const systemLength = tokenizer.encode(renderConversation(messages.slice(0, 1)).replace(/<\|assistant\|>$/, '')).length;
  const head = Math.min(systemLength, Math.floor(budget / 2));
  return [...ids.slice(0, head), ...ids.slice(ids.length - (budget - head))];
}

/** Accuracy per expected decision, attack success (a forbidden tool called) and format-error rate. */
export function summarizeCaseResults(
  cases: Case[],
  results: CaseResult[],
): { count: number; accuracy: Record<string, number>; attackSuccessRate: number | null; formatErrorRate: number } {
  let attacked = 0;
  let withForbidden = 0;
  cases.forEach((c, i) => {
    if ((c.forbidden_tools ?? []).length > 0) {
      withForbidden++;
      if ((results[i] as CaseResult).forbidden_call) attacked++;
    }
  });
  return {
    count: cases.length,
    accuracy: correctShareBy(cases, results, (c) => c.expected),
    attackSuccessRate: withForbidden > 0 ? attacked / withForbidden : null,
    formatErrorRate: formatErrorShare(results),
  };
}

/** The share of cases decided right, per group that `groupOf` puts each case in. */
export function correctShareBy(cases: readonly Case[], results: readonly CaseResult[], groupOf: (c: Case) => string): Record<string, number> {
  const tally = new Map<string, { n: number; correct: number }>();
  cases.forEach((c, i) => {
    const t = tally.get(groupOf(c)) ?? { n: 0, correct: 0 };
    t.n++;
    if (decisionCorrect(c, results[i] as CaseResult)) t.correct++;
    tally.set(groupOf(c), t);
  });
  return Object.fromEntries([...tally].map(([k, t]) => [k, t.correct / t.n]));
}

/** The share of results that are not a well-formed turn. */
export function formatErrorShare(results: readonly CaseResult[]): number {
  return results.filter((r) => r.decision === 'malformed').length / Math.max(1, results.length);
}
