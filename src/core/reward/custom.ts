// Custom rewards: plain JavaScript written by a researcher against the same input the presets read.
// The source runs with new Function in the user's own page or process; every failure becomes an Error saying what is wrong.
import { z } from 'zod';
import { idealToolDecisions, idealUserDecision } from '../ideal';
import { episodeDecisions, turnDecision } from '../metrics/decisions';
import { isRefusal } from '../protocol';
import { matchesCall } from '../sandbox';
import type { RewardFn, RewardInput, RewardPreset, RewardResult, SafetyPolicy } from '../types';
import {
  anyCallAppears,
  anyCheckAppears,
  checkOutcomes,
  endsWithRefusal,
  everyTurnEos,
  everyTurnThinks,
  thinkOk,
} from './rules';

/** Helpers a custom reward can use: passed as `lib` (in scope, and as the second argument). */
export const REWARD_LIB = Object.freeze({
  isRefusal,
  matchesCall,
  idealUserDecision,
  idealToolDecisions,
  turnDecision,
  episodeDecisions,
  thinkOk,
  everyTurnEos,
  everyTurnThinks,
  anyCallAppears,
  anyCheckAppears,
  endsWithRefusal,
  checkOutcomes,
});

export type RewardLib = typeof REWARD_LIB;

/** What a custom reward sees, as TypeScript declarations (shown next to the editor). */
export const REWARD_API_DOC = `// Write plain JavaScript: function reward(input) { ... } or (input) => ({ ... }).
// Return { total: number, components: { [name]: number } }; every number finite.
type UserClass = 'benign' | 'malicious' | 'sensitive';
type ToolClass = 'benign' | 'malicious' | 'sensitive' | 'none';
type Decision = 'execute' | 'refuse' | 'verify' | 'answer' | 'malformed';
interface ToolCall { name: string; arguments: Record<string, unknown> }
interface CallMatcher { name: string; arguments?: Record<string, unknown> }
type Action =
  | { kind: 'call'; think: string | null; call: ToolCall }
  | { kind: 'check'; think: string | null; tool: string }
  | { kind: 'answer'; think: string | null; text: string }
  | { kind: 'refuse'; think: string | null; text: string }
  | { kind: 'malformed'; think: string | null; error: { code: string; message: string } };
interface TraceStep {
  text: string;                 // the assistant turn, without the end token
  eos: boolean;                 // the turn ended with <|end|>
  action: Action;
  reply: { role: 'tool'; name: string; content: string } | { role: 'check'; content: 'yes' | 'no' } | null;
  effects: string[];            // what the tool did to the world
  toolError: string | null;     // unknown tool, bad arguments, missing record
  forbidden: boolean;           // this call matched a forbidden call
  unconfirmedSensitive: boolean; // sensitive tool called without a granted check
  respondingTo: 'user' | 'tool' | 'check';
}
interface Trace {
  episodeId: string;
  labels: { user: UserClass; tool: ToolClass };
  steps: TraceStep[];
  messages: { role: string; content: string; name?: string }[];
  end: 'answer' | 'refusal' | 'malformed' | 'turn_limit';
  taskDone: boolean;            // every task call ran
  attackSucceeded: boolean;     // a forbidden call ran
  unconfirmedSensitive: boolean; // a sensitive tool ran without a granted check
  unsafeEffects: { kind: 'money' | 'sent' | 'deleted' | 'access' | 'changed' | 'unconfirmed'; detail: string }[]; // unasked-for effects, from the world diff
  formatErrors: number;         // malformed turns + turns without the end token
  checks: { tool: string; granted: boolean }[];
  worldBefore: object; worldAfter: object;
}
interface Episode {
  id: string; split: 'train' | 'dev' | 'test'; seed: number; domain: string; template: string;
  tools: { name: string; description: string; parameters: object; sensitive: boolean }[];
  user: string;                 // the user prompt
  labels: { user: UserClass; tool: ToolClass };
  taskCalls: CallMatcher[];     // calls that achieve the user's task, in order
  forbiddenCalls: CallMatcher[]; // calls that must never run
  injection: { style: string; text: string; goal: ToolCall } | null;
  sensitiveTools: string[];     // sensitive tools the task needs
  world: object;
}
interface RewardInput { trace: Trace; episode: Episode }
declare const lib: {
  isRefusal(text: string): boolean;
  matchesCall(call: ToolCall, matcher: CallMatcher): boolean;
  idealUserDecision(user: UserClass): Decision;
  idealToolDecisions(tool: ToolClass, policy: 'paper' | 'strict'): Decision[];
  turnDecision(action: Action): Decision;
  episodeDecisions(trace: Trace): { user: Decision | null; tool: Decision | null };
  thinkOk(text: string): boolean;            // exactly one paired, non-nested think block
  everyTurnEos(trace: Trace): boolean;
  everyTurnThinks(trace: Trace): boolean;
  anyCallAppears(trace: Trace): boolean;     // parsed call or a <tool_call> tag anywhere
  anyCheckAppears(trace: Trace): boolean;
  endsWithRefusal(trace: Trace): boolean;
  checkOutcomes(trace: Trace): { tool: string; granted: boolean; calledAfter: boolean }[];
};
`;

const ResultSchema = z.object({
  total: z.number(),
  components: z.record(z.string(), z.number()),
});

const PREFIX = 'custom reward';

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Type annotations are the likeliest cause of a syntax error in code copied from TypeScript. */
const LOOKS_TYPED = /\)\s*:\s*[A-Za-z{]|\b(?:input|trace|episode)\s*:\s*[A-Z]|\binterface\s+\w|\btype\s+\w+\s*=/;

type Factory = (lib: RewardLib) => unknown;

/** The source as one expression (an arrow or function), else as statements that define `function reward`. */
function factoryOf(source: string): Factory {
  try {
    return new Function('lib', `"use strict";\nreturn (${source}\n);`) as Factory;
  } catch {
    // not a single expression: read it as a program below
  }
  try {
    return new Function(
      'lib',
      `"use strict";\n${source}\n;return typeof reward === 'function' ? reward : undefined;`,
    ) as Factory;
  } catch (e) {
    const hint = LOOKS_TYPED.test(source) ? ' (type annotations are not supported: write plain JavaScript)' : '';
    throw new Error(`${PREFIX}: syntax error: ${describe(e)}${hint}`);
  }
}

/** Compiles reward source into a RewardFn whose results are checked on every call. */
export function compileReward(source: string): RewardFn {
  if (typeof source !== 'string' || source.trim() === '') throw new Error(`${PREFIX}: the source is empty`);
  const factory = factoryOf(source);
  let fn: unknown;
  try {
    fn = factory(REWARD_LIB);
  } catch (e) {
    throw new Error(`${PREFIX}: the source threw while loading: ${describe(e)}`);
  }
  if (typeof fn !== 'function') {
    throw new Error(`${PREFIX}: no function found; define function reward(input) { ... } or write (input) => ({ total, components })`);
  }
  const user = fn as (input: RewardInput, lib: RewardLib) => unknown;
  return (input: RewardInput): RewardResult => {
    let out: unknown;
    try {
      out = user(input, REWARD_LIB);
    } catch (e) {
      throw new Error(`${PREFIX} threw on episode ${input.trace.episodeId}: ${describe(e)}`);
    }
    const parsed = ResultSchema.safeParse(out);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'result'}: ${i.message}`)
        .join('; ');
      throw new Error(
        `${PREFIX} returned a wrong shape on episode ${input.trace.episodeId} (${issues}); expected { total: number, components: { [name]: number } } with finite numbers`,
      );
    }
    return parsed.data;
  };
}

/**
 * A custom reward as a preset. The source cannot declare its maximum or policy, so the caller says them:
 * by default 1 (the presets' convention) and the strict policy for the metrics' notion of correct.
 */
export function customPreset(source: string, opts: { policy?: SafetyPolicy; max?: number } = {}): RewardPreset {
  return { name: 'custom', policy: opts.policy ?? 'strict', max: opts.max ?? 1, fn: compileReward(source) };
}
