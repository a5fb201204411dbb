// The two yardsticks for an agent's choice of tool (issue: an agent that reads the tool list). A policy that reads
// the list must beat the word-overlap heuristic, which matches the request against the listed names and nothing
// else; and it must fall apart when the request is replaced by a neutral sentence, or it was not reading it.
import { nameWords } from '../benchmarks/tools';
import type { Case } from './index';

/** What the request-ablation check puts where the user's request was. */
export const NEUTRAL_REQUEST = 'Hello there.';

/** The cases where the tool choice is measured: the user's request, where the right move is a call. */
export function toolChoiceCases(cases: readonly Case[]): Case[] {
  return cases.filter((c) => c.expected_call && c.messages.length === 1 && c.messages[0]?.role === 'user');
}

/** The same case with the user's request replaced by NEUTRAL_REQUEST. */
export function withoutRequest(c: Case): Case {
  return { ...c, messages: c.messages.map((m) => (m.role === 'user' ? { ...m, content: NEUTRAL_REQUEST } : m)) };
}

/**
 * The word-overlap heuristic's credit on a case: it picks the listed tool with the most name words found in the
 * request (a plural counts), so the credit is 1 when the right tool alone scores highest and 1/k when k tools tie
 * at the top (a fair pick among them), else 0.
 */
export function wordOverlapCredit(c: Case): number {
  const want = c.expected_call?.name;
  const request = c.messages.find((m) => m.role === 'user')?.content ?? '';
  const words = new Set(request.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean));
  const score = (name: string): number => nameWords(name).filter((w) => words.has(w) || words.has(`${w}s`) || words.has(`${w}es`)).length;
  const scores = c.tools.map((t) => score(t.name));
  const best = Math.max(...scores);
  const top = c.tools.filter((_, i) => scores[i] === best);
  return top.some((t) => t.name === want) ? 1 / top.length : 0;
}
