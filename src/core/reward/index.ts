// Rewards: the paper's, the strict policy's, a shaped one, and custom code against the same input.
import type { RunConfig } from '../config';
import type { RewardPreset } from '../types';
import { customPreset } from './custom';
import { getPreset } from './presets';

export { PRESETS, PRESET_NAMES, SHAPED_WEIGHTS, getPreset, type PresetName } from './presets';
export { compileReward, customPreset, REWARD_API_DOC, REWARD_LIB, type RewardLib } from './custom';
export { thinkOk, checkOutcomes, taskRequired } from './rules';

/** The reward a run config names: a preset, or its custom source compiled. */
export function getRewardForConfig(config: Pick<RunConfig, 'reward' | 'customReward'>): RewardPreset {
  return config.reward === 'custom' ? customPreset(config.customReward ?? '') : getPreset(config.reward);
}
