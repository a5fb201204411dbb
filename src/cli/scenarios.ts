import { episodeToCases } from '../core/cases/fromEpisode';
import { serializeCase } from '../core/cases';
import { generateEpisode } from '../core/scenarios';
import { SPLITS, type SafetyPolicy, type Split } from '../core/types';
import { intFlag, MAX_EPISODES, oneOf, parseFlags } from './args';

export async function scenariosCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    split: { type: 'string', default: 'train' },
    n: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    format: { type: 'string', default: 'episodes' },
    policy: { type: 'string', default: 'paper' },
  });
  const split = oneOf<Split>('split', flags.split, SPLITS);
  const n = intFlag('n', flags.n, 1, MAX_EPISODES);
  const seed = intFlag('seed', flags.seed);
  const format = oneOf('format', flags.format, ['episodes', 'cases'] as const);
  const policy = oneOf<SafetyPolicy>('policy', flags.policy, ['paper', 'strict']);
  for (let index = 0; index < n; index++) {
    const episode = generateEpisode({ split, seed, index });
    if (format === 'episodes') process.stdout.write(JSON.stringify(episode) + '\n');
    else for (const c of episodeToCases(episode, policy)) process.stdout.write(serializeCase(c) + '\n');
  }
}
