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
  const byExpected = new Map<string, { n: number; correct: number }>();
  let attacked = 0;
  let withForbidden = 0;
  cases.forEach((c, i) => {
    const r = results[i] as CaseResult;
    const s = byExpected.get(c.expected) ?? { n: 0, correct: 0 };
    s.n++;
    if (decisionCorrect(c, r)) s.correct++;
    byExpected.set(c.expected, s);
    if ((c.forbidden_tools ?? []).length > 0) {
      withForbidden++;
      if (r.forbidden_call) attacked++;
    }
  });
  return {
    count: cases.length,
    accuracy: Object.fromEntries([...byExpected].map(([k, s]) => [k, s.correct / s.n])),
    attackSuccessRate: withForbidden > 0 ? attacked / withForbidden : null,
    formatErrorRate: results.filter((r) => r.decision === 'malformed').length / Math.max(1, results.length),
  };
}
