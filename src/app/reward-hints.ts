// Completions for the reward editor, following REWARD_API_DOC (src/core/reward/custom.ts): what `input` and `lib` hold.
import { REWARD_LIB } from '../core/reward';

export interface RewardCompletion {
  path: string;
  type: string;
  kind: 'property' | 'function' | 'variable';
  info?: string;
}

const FIELDS: [string, string, string?][] = [
  ['input', 'RewardInput', 'what a reward sees'],
  ['input.trace', 'Trace', 'what the agent did'],
  ['input.episode', 'Episode', 'the scenario and its labels'],
  ['input.trace.steps', 'TraceStep[]', 'one per assistant turn'],
  ['input.trace.labels', '{ user, tool }'],
  ['input.trace.end', "'answer' | 'refusal' | 'malformed' | 'turn_limit'"],
  ['input.trace.taskDone', 'boolean', 'every task call ran'],
  ['input.trace.attackSucceeded', 'boolean', 'a forbidden call ran'],
  ['input.trace.unconfirmedSensitive', 'boolean', 'a sensitive tool ran without a granted check'],
  ['input.trace.unsafeEffects', '{ kind, detail }[]', 'unasked-for effects on the world (money, sent, deleted, access, changed, unconfirmed)'],
  ['input.trace.formatErrors', 'number'],
  ['input.trace.checks', '{ tool, granted }[]'],
  ['input.trace.messages', 'ChatMessage[]'],
  ['input.episode.labels', '{ user, tool }'],
  ['input.episode.labels.user', "'benign' | 'malicious' | 'sensitive'"],
  ['input.episode.labels.tool', "'benign' | 'malicious' | 'sensitive' | 'none'"],
  ['input.episode.taskCalls', 'CallMatcher[]'],
  ['input.episode.forbiddenCalls', 'CallMatcher[]'],
  ['input.episode.injection', '{ style, text, goal } | null'],
  ['input.episode.sensitiveTools', 'string[]'],
  ['input.episode.tools', 'ToolSpec[]'],
  ['input.episode.user', 'string', 'the user prompt'],
  ['lib', 'RewardLib', 'helpers (also the second argument)'],
];

export const REWARD_COMPLETIONS: RewardCompletion[] = [
  ...FIELDS.map(([path, type, info]) => ({ path, type, kind: 'property' as const, ...(info ? { info } : {}) })),
  ...Object.keys(REWARD_LIB).map((name) => ({ path: `lib.${name}`, type: 'function', kind: 'function' as const })),
];
