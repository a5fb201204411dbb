import { scorePolicy } from '../core/score';
import { referencePolicy, REFERENCE_POLICIES, type ReferencePolicyName } from '../core/policies';
import { PRESETS } from '../core/reward';
import { SPLITS, type Split } from '../core/types';
import { intFlag, MAX_EPISODES, numberFlag, oneOf, parseFlags } from './args';

export async function scoreCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    policy: { type: 'string', default: 'oracle' },
    reward: { type: 'string', default: 'paper' },
    split: { type: 'string', default: 'test' },
    n: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    'p-yes': { type: 'string', default: '0.5' },
    'max-turns': { type: 'string', default: '5' },
  });
  const name = oneOf<ReferencePolicyName>('policy', flags.policy, REFERENCE_POLICIES);
  const preset = PRESETS[oneOf('reward', flags.reward, Object.keys(PRESETS))];
  if (!preset) throw new Error('unreachable: preset checked above');
  const split = oneOf<Split>('split', flags.split, SPLITS);
  const seed = intFlag('seed', flags.seed);
  const { metrics } = await scorePolicy({
    split,
    n: intFlag('n', flags.n, 1, MAX_EPISODES),
    seed,
    policy: referencePolicy(name, { policy: preset.policy, seed }),
    preset,
    pYes: numberFlag('p-yes', flags['p-yes'], 0, 1),
    maxTurns: intFlag('max-turns', flags['max-turns'], 1),
  });
  process.stdout.write(JSON.stringify({ referencePolicy: name, rewardPreset: preset.name, split, ...metrics }) + '\n');
}
