// The helpers a custom reward can use (`lib`). Imported module by module, never through the protocol or sandbox
// index, so this file bundles alone (no ajv, no zod): the CLI runs it inside the reward's isolated context.
import { idealToolDecisions, idealUserDecision } from '../ideal';
import { episodeDecisions, turnDecision } from '../metrics/decisions';
import { isRefusal } from '../protocol/refusal';
import { matchesCall } from '../sandbox/match';
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
