// `asp export`: the scenario set as a verl or TRL dataset (JSON lines) and the reward as a Python module beside it.
// The last stdout line is one JSON object naming what was written.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRewardSpec, presetSpec, pythonRewardModule, trlRow, verlRow, type RewardSpec } from '../core/export';
import { generateEpisodes } from '../core/scenarios';
import type { Split } from '../core/types';
import { intFlag, MAX_EPISODES, numberFlag, oneOf, parseFlags, requiredString, UsageError } from './args';
import { checkOutputs } from './files';

async function rewardSpec(value: string): Promise<RewardSpec> {
  if (!value.endsWith('.json')) {
    try {
      return presetSpec(value);
    } catch (e) {
      throw new UsageError(`--reward: ${(e as Error).message}`);
    }
  }
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read reward spec ${value}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return parseRewardSpec(text);
  } catch (e) {
    throw new UsageError(`${value}: ${(e as Error).message}`);
  }
}

export async function exportCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    format: { type: 'string' },
    split: { type: 'string', default: 'train' },
    n: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    reward: { type: 'string', default: 'paper' },
    'max-turns': { type: 'string', default: '5' },
    'p-yes': { type: 'string', default: '0.5' },
    force: { type: 'boolean', default: false },
  });
  const format = oneOf('format', flags.format, ['verl', 'trl'] as const);
  const split = oneOf<Split>('split', flags.split, ['train', 'test']);
  const n = intFlag('n', flags.n, 1, MAX_EPISODES);
  const seed = intFlag('seed', flags.seed);
  const out = requiredString('out', flags.out);
  const spec = await rewardSpec(String(flags.reward));
  const maxTurns = intFlag('max-turns', flags['max-turns'], 1);
  const pYes = numberFlag('p-yes', flags['p-yes'], 0, 1);
  const data = join(out, `${split}.jsonl`);
  const module = join(out, 'asp_reward.py');
  const specFile = join(out, 'reward_spec.json');
  const reward = String(flags.reward);
  await checkOutputs([data, module, specFile], { force: flags.force === true, inputs: reward.endsWith('.json') ? [reward] : [] });
  const episodes = generateEpisodes({ split, n, seed });
  const rows = episodes.map((e, i) => JSON.stringify(format === 'verl' ? verlRow(e, i) : trlRow(e)));
  await mkdir(out, { recursive: true });
  await writeFile(data, rows.join('\n') + '\n');
  await writeFile(module, pythonRewardModule(spec, { maxTurns, pYes }));
  await writeFile(specFile, JSON.stringify(spec, null, 2) + '\n');
  process.stdout.write(JSON.stringify({ format, split, n: rows.length, seed, reward: spec.name, files: [data, module, specFile] }) + '\n');
}
