// `asp export`: the scenario set as a verl or TRL dataset (JSON lines) and the reward as a Python module beside it
// (python/asp_reward.py, copied, with the reward_spec.json and sandbox.json it reads).
// The last stdout line is one JSON object naming what was written.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../core/errors';
import { trlRow, verlRow } from '../core/export';
import { parseRewardSpec, presetSpec, type RewardSpec } from '../core/reward';
import { generateEpisodes } from '../core/scenarios';
import { SPLITS, type Split } from '../core/types';
import { intFlag, MAX_EPISODES, numberFlag, oneOf, parseFlags, requiredString, UsageError } from './args';
import { checkOutputs } from './files';

async function rewardSpec(value: string): Promise<RewardSpec> {
  if (!value.endsWith('.json')) {
    try {
      return presetSpec(value);
    } catch (e) {
      throw new UsageError(`--reward: ${errorMessage(e)}, or give a spec file (.json)`);
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
    throw new UsageError(`${value}: ${errorMessage(e)}`);
  }
}

/** The reward module, kept as a real Python file with its own tests (tests/python). */
export const PYTHON_REWARD_MODULE = join(import.meta.dirname, '..', '..', 'python', 'asp_reward.py');

/** The settings of the sandbox the Python module replays transcripts in. */
export interface SandboxSettings {
  maxTurns: number;
  pYes: number;
}

/** Writes asp_reward.py, reward_spec.json and sandbox.json into `out`; returns their paths. */
export async function writePythonReward(out: string, spec: RewardSpec, sandbox: SandboxSettings): Promise<string[]> {
  const files = [join(out, 'asp_reward.py'), join(out, 'reward_spec.json'), join(out, 'sandbox.json')] as const;
  await copyFile(PYTHON_REWARD_MODULE, files[0]);
  await writeFile(files[1], JSON.stringify(parseRewardSpec(spec), null, 2) + '\n');
  await writeFile(files[2], JSON.stringify({ maxTurns: sandbox.maxTurns, pYes: sandbox.pYes }) + '\n');
  return [...files];
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
  const split = oneOf<Split>('split', flags.split, SPLITS);
  const n = intFlag('n', flags.n, 1, MAX_EPISODES);
  const seed = intFlag('seed', flags.seed);
  const out = requiredString('out', flags.out);
  const spec = await rewardSpec(String(flags.reward));
  const maxTurns = intFlag('max-turns', flags['max-turns'], 1);
  const pYes = numberFlag('p-yes', flags['p-yes'], 0, 1);
  const data = join(out, `${split}.jsonl`);
  const rewardFlag = String(flags.reward);
  const outputs = [data, ...['asp_reward.py', 'reward_spec.json', 'sandbox.json'].map((f) => join(out, f))];
  await checkOutputs(outputs, { force: flags.force === true, inputs: rewardFlag.endsWith('.json') ? [rewardFlag] : [] });
  const episodes = generateEpisodes({ split, n, seed });
  const rows = episodes.map((e, i) => JSON.stringify(format === 'verl' ? verlRow(e, i) : trlRow(e)));
  await mkdir(out, { recursive: true });
  await writeFile(data, rows.join('\n') + '\n');
  const reward = await writePythonReward(out, spec, { maxTurns, pYes });
  process.stdout.write(JSON.stringify({ format, split, n: rows.length, seed, reward: spec.name, files: [data, ...reward] }) + '\n');
}
