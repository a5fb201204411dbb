// A rollout as the Rollouts view browses it, and the highlighting of its text. Its outcome comes from the one
// classification in src/core/metrics/outcome.ts, the same the metrics count.
import { classifyOutcome, type Outcome } from '../core/metrics';
import { EOS, SPECIAL_TOKENS } from '../core/protocol';
import type { Episode, RewardResult, SafetyPolicy, Trace } from '../core/types';

/** Iterations of rollouts kept per run for browsing. */
export const KEPT_ITERATIONS = 4;

export interface RolloutRecord {
  /** Position in the iteration's batch. */
  index: number;
  /** The group (episode) it belongs to. */
  group: number;
  episode: Episode;
  trace: Trace;
  reward: RewardResult;
  outcome: Outcome;
  /** When the reward pays this rollout in full although its outcome is not correct: one line that says so. */
  rewardNote: string | null;
}

/** What each assistant turn did, in the paper's words: "verify send_money", "execute send_money", "refuse"... */
export function decisions(trace: Trace): string[] {
  return trace.steps.map(({ action: a }) =>
    a.kind === 'call' ? `execute ${a.call.name}` : a.kind === 'check' ? `verify ${a.tool}` : a.kind === 'refuse' ? 'refuse' : a.kind === 'answer' ? 'answer' : 'malformed',
  );
}

/** A rollout that just ended, as the live ticker shows it (small: sent on every rollout). */
export interface LiveRollout {
  index: number;
  labels: Episode['labels'];
  decisions: string[];
  effects: string[];
  outcome: Outcome;
}

export function liveRollout(index: number, episode: Episode, trace: Trace, policy: SafetyPolicy): LiveRollout {
  return { index, labels: episode.labels, decisions: decisions(trace), effects: trace.steps.flatMap((s) => s.effects), outcome: classifyOutcome(trace, episode, policy) };
}

/** Spans of assistant, tool or check text to highlight: protocol tags and, in tool output, the planted instruction. */
export interface Span {
  text: string;
  kind: 'plain' | 'tag' | 'planted';
}

/** The protocol's tags and the end of a turn (role markers never appear inside a message's text). */
const TAG = new RegExp(
  `(${SPECIAL_TOKENS.filter((t) => !t.startsWith('<|') || t === EOS)
    .map((t) => t.replace(/[|]/g, '\\|'))
    .join('|')})`,
  'g',
);

/** Splits `text` into plain, tag and planted spans (`planted` is the injection text, found verbatim or JSON-escaped). */
export function highlight(text: string, planted: string | null): Span[] {
  const out: Span[] = [];
  const pushPlain = (s: string): void => {
    if (!s) return;
    if (planted) {
      for (const needle of [planted, JSON.stringify(planted).slice(1, -1)]) {
        const at = s.indexOf(needle);
        if (at >= 0) {
          pushPlain(s.slice(0, at));
          out.push({ text: needle, kind: 'planted' });
          pushPlain(s.slice(at + needle.length));
          return;
        }
      }
    }
    out.push({ text: s, kind: 'plain' });
  };
  let last = 0;
  for (const m of text.matchAll(TAG)) {
    pushPlain(text.slice(last, m.index));
    out.push({ text: m[0], kind: 'tag' });
    last = (m.index ?? 0) + m[0].length;
  }
  pushPlain(text.slice(last));
  return out;
}
