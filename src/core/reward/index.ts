// Rewards: declarative specs run by one interpreter (the paper's, the strict policy's and a shaped one are presets),
// and custom code against the same input.
import type { RunConfig } from '../config';
import type { RewardPreset } from '../types';
import { customPreset } from './custom';
import { getPreset } from './presets';

export { PRESETS, PRESET_NAMES, PRESET_SPECS, getPreset, presetSpec, type PresetName } from './presets';
export { parseRewardSpec, specPreset, type RewardSpec } from './spec';
export { compileReward, customPreset } from './custom';
export { REWARD_LIB } from './lib';
export { thinkOk } from './rules';

/** The reward a run config names: a preset, or its custom source compiled. */
export function getRewardForConfig(config: Pick<RunConfig, 'reward' | 'customReward'>): RewardPreset {
  return config.reward === 'custom' ? customPreset(config.customReward ?? '') : getPreset(config.reward);
}
