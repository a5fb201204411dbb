// Custom rewards: plain JavaScript written by a researcher against the same input the presets read.
// In the page the source runs with new Function inside the sandbox worker; the CLI runs it in an isolated context
// (src/cli/reward-isolate.ts) through the same wrappers and checks. Every failure becomes an Error saying what is wrong.
import { z } from 'zod';
import { errorMessage } from '../errors';
import type { RewardFn, RewardInput, RewardPreset, RewardResult, SafetyPolicy } from '../types';
import { REWARD_LIB, type RewardLib } from './lib';

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

/** Type annotations are the likeliest cause of a syntax error in code copied from TypeScript. */
const LOOKS_TYPED = /\)\s*:\s*[A-Za-z{]|\b(?:input|trace|episode)\s*:\s*[A-Z]|\binterface\s+\w|\btype\s+\w+\s*=/;

type Factory = (lib: RewardLib) => unknown;

/**
 * The two readings of reward source, as bodies of a function of `lib` that returns the reward: the source as one
 * expression (an arrow or function), else as statements that define `function reward`. Tried in this order.
 */
function rewardBodies(source: string): [string, string] {
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
    throw new Error(`${PREFIX}: syntax error: ${errorMessage(e)}${hint}`);
  }
}

export const NO_FUNCTION = `${PREFIX}: no function found; define function reward(input) { ... } or write (input) => ({ total, components })`;
export const threwWhileLoading = (e: unknown): Error => new Error(`${PREFIX}: the source threw while loading: ${errorMessage(e)}`);
export const threwOn = (episodeId: string, e: unknown): Error => new Error(`${PREFIX} threw on episode ${episodeId}: ${errorMessage(e)}`);

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
