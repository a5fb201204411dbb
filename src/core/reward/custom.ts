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

/** Helpers a custom reward can use: passed as `lib` (in scope, and as the second argument); src/app/reward-hints.ts shows their signatures. */
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
