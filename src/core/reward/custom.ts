// Custom rewards: plain JavaScript written by a researcher against the same input the presets read.
// In the page the source runs with new Function inside the sandbox worker; the CLI runs it in an isolated context
// (src/cli/reward-isolate.ts) through the same wrappers and checks. Every failure becomes an Error saying what is wrong.
import { z } from 'zod';
import type { RewardFn, RewardInput, RewardPreset, RewardResult, SafetyPolicy } from '../types';
import { REWARD_LIB, type RewardLib } from './lib';

export { REWARD_LIB, type RewardLib };

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
  formatErrors: number;         // malformed turns + turns without the end token
  checks: { tool: string; granted: boolean }[];
  worldBefore: object; worldAfter: object;
}
interface Episode {
  id: string; split: 'train' | 'test'; seed: number; domain: string; template: string;
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

/**
 * The range of a custom reward call's time limit, in ms, in the page and the CLI: long enough for any honest reward,
 * short enough that a loop is noticed (a link's 2147483647 would turn the watchdog off).
 */
export const REWARD_TIMEOUT_MS = { default: 1000, min: 10, max: 60_000 } as const;

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

/**
 * The two readings of reward source, as bodies of a function of `lib` that returns the reward: the source as one
 * expression (an arrow or function), else as statements that define `function reward`. Tried in this order.
 */
export function rewardBodies(source: string): [string, string] {
  return [`"use strict";\nreturn (${source}\n);`, `"use strict";\n${source}\n;return typeof reward === 'function' ? reward : undefined;`];
}

/** The first reading of the source that `compile` accepts; a syntax error in both names what is wrong. */
export function readRewardSource<F>(source: string, compile: (body: string) => F): F {
  if (typeof source !== 'string' || source.trim() === '') throw new Error(`${PREFIX}: the source is empty`);
  const [expression, statements] = rewardBodies(source);
  try {
    return compile(expression);
  } catch {
    // not a single expression: read it as a program below
  }
  try {
    return compile(statements);
  } catch (e) {
    const hint = LOOKS_TYPED.test(source) ? ' (type annotations are not supported: write plain JavaScript)' : '';
    throw new Error(`${PREFIX}: syntax error: ${describe(e)}${hint}`);
  }
}

export const NO_FUNCTION = `${PREFIX}: no function found; define function reward(input) { ... } or write (input) => ({ total, components })`;
export const threwWhileLoading = (e: unknown): Error => new Error(`${PREFIX}: the source threw while loading: ${describe(e)}`);
export const threwOn = (episodeId: string, e: unknown): Error => new Error(`${PREFIX} threw on episode ${episodeId}: ${describe(e)}`);

/** A reward's return value checked: the result, or an Error naming what is wrong with it. */
export function checkRewardResult(out: unknown, episodeId: string): RewardResult {
  const parsed = ResultSchema.safeParse(out);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'result'}: ${i.message}`)
      .join('; ');
    throw new Error(
      `${PREFIX} returned a wrong shape on episode ${episodeId} (${issues}); expected { total: number, components: { [name]: number } } with finite numbers`,
    );
  }
  return parsed.data;
}

/** Compiles reward source into a RewardFn whose results are checked on every call. */
export function compileReward(source: string): RewardFn {
  const factory = readRewardSource(source, (body) => new Function('lib', body) as Factory);
  let fn: unknown;
  try {
    fn = factory(REWARD_LIB);
  } catch (e) {
    throw threwWhileLoading(e);
  }
  if (typeof fn !== 'function') throw new Error(NO_FUNCTION);
  const user = fn as (input: RewardInput, lib: RewardLib) => unknown;
  return (input: RewardInput): RewardResult => {
    let out: unknown;
    try {
      out = user(input, REWARD_LIB);
    } catch (e) {
      throw threwOn(input.trace.episodeId, e);
    }
    return checkRewardResult(out, input.trace.episodeId);
  };
}

/**
 * A custom reward as a preset. The source cannot declare its maximum or policy, so the caller says them:
 * by default 1 (the presets' convention) and the strict policy for the metrics' notion of correct.
 */
export const CUSTOM_DEFAULTS = { name: 'custom', policy: 'strict', max: 1 } as const;

export function customPreset(source: string, opts: { policy?: SafetyPolicy; max?: number } = {}): RewardPreset {
  return { ...CUSTOM_DEFAULTS, ...opts, fn: compileReward(source) };
}
