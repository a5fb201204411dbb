// `asp eval`: a checkpoint's next assistant turn on each case of a case file (greedy, repeatable), or whole
// sandbox episodes of a split. The last stdout line is one JSON object with the summary.
import { readFile, writeFile } from 'node:fs/promises';
import { parseCases } from '../core/cases';
import { getPreset } from '../core/reward';
import type { Split } from '../core/types';
import { chooseBackend, type BackendName, BACKENDS } from '../ml/backend';
import { loadCheckpointDir } from '../ml/checkpoint-node';
import { evaluateCases, evaluateEpisodes, summarizeCaseResults } from '../ml/evaluate';
import { intFlag, numberFlag, oneOf, parseFlags, requiredString, UsageError } from './args';

export async function evalCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    checkpoint: { type: 'string' },
    cases: { type: 'string' },
    out: { type: 'string' },
    split: { type: 'string' },
    n: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    reward: { type: 'string', default: 'paper' },
    'p-yes': { type: 'string', default: '0.5' },
    'max-new-tokens': { type: 'string', default: '96' },
    backend: { type: 'string' },
  });
  const dir = requiredString('checkpoint', flags.checkpoint);
  if ((flags.cases === undefined) === (flags.split === undefined)) {
    throw new UsageError('eval needs exactly one of --cases FILE or --split train|test');
  }
  const maxNewTokens = intFlag('max-new-tokens', flags['max-new-tokens'], 4);
  const prefer = flags.backend === undefined ? undefined : oneOf<BackendName>('backend', flags.backend, BACKENDS);
  await chooseBackend({ prefer });
  const { model, tokenizer } = await loadCheckpointDir(dir);
  try {
    if (flags.split !== undefined) {
      const { metrics } = await evaluateEpisodes(model, tokenizer, {
        split: oneOf<Split>('split', flags.split, ['train', 'test']),
        n: intFlag('n', flags.n, 1),
        seed: intFlag('seed', flags.seed),
        preset: getPreset(String(flags.reward)),
        pYes: numberFlag('p-yes', flags['p-yes'], 0, 1),
        maxTurns: 5,
        maxNewTokens,
      });
      process.stdout.write(JSON.stringify(metrics) + '\n');
      return;
    }
    const path = flags.cases as string;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read cases ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const { cases, errors } = parseCases(text);
    for (const e of errors) process.stderr.write(`${path}:${e.line}: ${e.field}: ${e.message}\n`);
    if (cases.length === 0) throw new UsageError(`no valid case in ${path}`);
    const results = await evaluateCases(model, tokenizer, cases, { maxNewTokens });
    const lines = results.map((r) => JSON.stringify(r)).join('\n') + '\n';
    if (typeof flags.out === 'string') await writeFile(flags.out, lines);
    else process.stdout.write(lines);
    process.stdout.write(JSON.stringify({ ...summarizeCaseResults(cases, results), skipped: new Set(errors.map((e) => e.line)).size }) + '\n');
  } finally {
    model.dispose();
  }
}
