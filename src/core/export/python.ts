// The reward as a Python module for real RL trainers: verl's compute_score(data_source, solution_str, ground_truth,
// extra_info=None) and a TRL GRPOTrainer reward function, with a preset or a declarative spec baked in.
import { PYTHON_TEMPLATE } from './python-source';
import { parseRewardSpec, PRESET_SPECS, type RewardSpec } from './spec';

export interface PythonModuleOptions {
  maxTurns?: number;
  pYes?: number;
}

/** `reward` is a preset name or a spec (checked: a bad spec throws an Error naming the field). */
export function pythonRewardModule(reward: string | RewardSpec, opts: PythonModuleOptions = {}): string {
  const spec = typeof reward === 'string' ? presetSpec(reward) : parseRewardSpec(reward);
  const { maxTurns = 5, pYes = 0.5 } = opts;
  if (!Number.isInteger(maxTurns) || maxTurns < 1) throw new Error(`pythonRewardModule: maxTurns must be an integer >= 1, got ${maxTurns}`);
  if (!(pYes >= 0 && pYes <= 1)) throw new Error(`pythonRewardModule: pYes must be in [0, 1], got ${pYes}`);
  const values: Record<string, string> = {
    REWARD_SPEC_JSON: JSON.stringify(JSON.stringify(spec)),
    MAX_TURNS: String(maxTurns),
    P_YES: String(pYes),
  };
  // One pass: text put in (a spec named __MAX_TURNS__) is never scanned for placeholders again.
  return PYTHON_TEMPLATE.replace(/__(REWARD_SPEC_JSON|MAX_TURNS|P_YES)__/g, (_, key: string) => values[key] as string);
}

export function presetSpec(name: string): RewardSpec {
  const spec = Object.hasOwn(PRESET_SPECS, name) ? PRESET_SPECS[name as keyof typeof PRESET_SPECS] : undefined;
  if (!spec) throw new Error(`unknown reward preset '${name}'; choose one of: ${Object.keys(PRESET_SPECS).join(', ')}, or give a spec file`);
  return spec;
}
