// `asp bench` (npm run bench): training and rollout throughput and seconds per GRPO iteration at the default
// model size, for every backend that starts here. Prints a table on stderr and one JSON line on stdout.
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { parseRunConfig } from '../core/config';
import { chooseBackend, type BackendName } from '../ml/backend';
import { TrainingRun } from '../ml/run';
import { intFlag, oneOf, parseFlags } from './args';

interface BenchRow {
  backend: BackendName;
  parameters: number;
  sftTokensPerSecond: number;
  rolloutTokensPerSecond: number;
  grpoTrainTokensPerSecond: number;
  secondsPerIteration: number;
}

export async function benchCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    iterations: { type: 'string', default: '2' },
    'sft-steps': { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm,cpu' },
  });
  const backends = String(flags.backends)
    .split(',')
    .map((b) => oneOf<BackendName>('backends', b.trim(), ['wasm', 'cpu']));
  const iterations = intFlag('iterations', flags.iterations, 1);
  const sftSteps = intFlag('sft-steps', flags['sft-steps'], 1);
  const config = parseRunConfig({});
  const rows: BenchRow[] = [];
  for (const candidate of backends) {
    const choice = await chooseBackend({ prefer: candidate });
    if (choice.backend !== candidate) continue;
    const run = await TrainingRun.create(config);
    try {
      let sftTps = 0;
      for (let i = 0; i < sftSteps; i++) sftTps = (await run.sftStep()).tokensPerSecond; // last step: warmed up
      let rollout = 0;
      let train = 0;
      let seconds = 0;
      for (let i = 0; i < iterations; i++) {
        const m = await run.grpoStep();
        rollout += m.rolloutTokensPerSecond / iterations;
        train += m.trainTokensPerSecond / iterations;
        seconds += m.seconds / iterations;
      }
      rows.push({
        backend: candidate,
        parameters: run.policy.parameterCount(),
        sftTokensPerSecond: Math.round(sftTps),
        rolloutTokensPerSecond: Math.round(rollout),
        grpoTrainTokensPerSecond: Math.round(train),
        secondsPerIteration: Number(seconds.toFixed(2)),
      });
    } finally {
      run.dispose();
    }
  }
  const release = await releaseTiming();
  process.stderr.write(
    [
      'backend  params   sft tok/s  rollout tok/s  grpo train tok/s  s/iteration',
      ...rows.map(
        (r) =>
          `${r.backend.padEnd(8)} ${String(r.parameters).padEnd(8)} ${String(r.sftTokensPerSecond).padEnd(10)} ` +
          `${String(r.rolloutTokensPerSecond).padEnd(14)} ${String(r.grpoTrainTokensPerSecond).padEnd(17)} ${r.secondsPerIteration}`,
      ),
      release ? `base -> aligned (release run, ${release.backend}): ${release.seconds.toFixed(0)} s` : 'no release report found',
      '',
    ].join('\n'),
  );
  process.stdout.write(JSON.stringify({ model: config.model, rows, release, tfjs: tf.version.tfjs }) + '\n');
}

/** Time from base to aligned as measured by the last `npm run train:release`, if its report is there. */
async function releaseTiming(): Promise<{ backend: string; seconds: number } | null> {
  try {
    const report = JSON.parse(await readFile('public/checkpoints/aligned/report.json', 'utf8')) as {
      training?: { backend?: string; grpoSeconds?: number };
    };
    const t = report.training;
    return t && typeof t.grpoSeconds === 'number' ? { backend: String(t.backend), seconds: t.grpoSeconds } : null;
  } catch {
    return null;
  }
}
