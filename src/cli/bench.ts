// `asp bench` (npm run bench): training and rollout throughput, seconds per GRPO iteration and the grammar mask's cost
// per generated token at the default model size, for every backend that starts here, and on wasm with one thread and
// with --threads (policy replicas in worker threads; default every core). Prints a table on stderr and one JSON line
// on stdout.
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { parseRunConfig, type RunConfig } from '../core/config';
import { loadCheckpointDir } from '../ml/checkpoint-node';
import { chooseBackend, type BackendName } from '../ml/backend';
import { caseToMessages } from '../core/cases';
import { EOS } from '../core/protocol';
import { turnConstraint } from '../ml/constrained';
import { decisionPointCases } from '../ml/decision-points';
import { casePrompt } from '../ml/evaluate';
import type { TokenConstraint } from '../ml/model';
import { TrainingRun } from '../ml/run';
import { intFlag, oneOf, parseFlags } from './args';
import { defaultThreads } from './replicas';
import { useThreads } from './train';

interface BenchRow {
  backend: BackendName;
  /** The main thread and its policy replicas. */
  threads: number;
  parameters: number;
  sftTokensPerSecond: number;
  rolloutTokensPerSecond: number;
  grpoTrainTokensPerSecond: number;
  secondsPerIteration: number;
  /** GRPO iterations the release run needed to reach the thresholds × this backend's s/iteration. */
  projectedBaseToAlignedSeconds: number | null;
  /** Constrained decoding: the grammar mask's milliseconds per generated token, and per token of a whole generation step. */
  maskMsPerToken: number;
  generationMsPerToken: number;
}

/**
 * The grammar mask's cost beside the model's: greedy next turns at 32 dev decision points, once with the mask timed
 * on its own and once as a whole generation (milliseconds per generated token each; the target is a mask under 10%).
 */
async function maskCost(run: TrainingRun): Promise<{ maskMsPerToken: number; generationMsPerToken: number }> {
  const cases = decisionPointCases('dev', 24, 5).slice(0, 32);
  const budget = run.config.grpo.maxNewTokens;
  let maskMs = 0;
  const constraints = cases.map((c) => {
    const inner = turnConstraint(run.tokenizer, 'constrained', c.tools, caseToMessages(c), budget) as TokenConstraint;
    const timed: TokenConstraint = {
      allowed: () => {
        const t = performance.now();
        const set = inner.allowed();
        maskMs += performance.now() - t;
        return set;
      },
      advance: (id) => {
        const t = performance.now();
        inner.advance(id);
        maskMs += performance.now() - t;
      },
    };
    return timed;
  });
  const started = performance.now();
  const gen = await run.policy.generate(
    cases.map((c) => casePrompt(run.tokenizer, c, run.policy.config.contextLength - budget)),
    { maxNewTokens: budget, temperature: 0, topK: 0, stopId: run.tokenizer.specialId(EOS), seed: 0, constraints },
  );
  const ms = performance.now() - started;
  const tokens = Math.max(1, gen.tokens.reduce((a, t) => a + t.length, 0));
  return { maskMsPerToken: Number((maskMs / tokens).toFixed(3)), generationMsPerToken: Number((ms / tokens).toFixed(3)) };
}

export async function benchCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    iterations: { type: 'string', default: '2' },
    'sft-steps': { type: 'string', default: '3' },
    backends: { type: 'string', default: 'wasm,cpu' },
    threads: { type: 'string', default: String(defaultThreads()) },
    // GRPO from a trained checkpoint (e.g. public/checkpoints/base): the turns of a trained model, not a fresh one's.
    from: { type: 'string' },
  });
  const backends = String(flags.backends)
    .split(',')
    .map((b) => oneOf<BackendName>('backends', b.trim(), ['wasm', 'cpu']));
  const iterations = intFlag('iterations', flags.iterations, 1);
  const sftSteps = intFlag('sft-steps', flags['sft-steps'], 1);
  const threads = intFlag('threads', flags.threads, 1, 256);
  const config = parseRunConfig({});
  const release = await releaseTiming();
  const rows: BenchRow[] = [];
  // Only wasm gains from replicas: the cpu backend is a reference implementation, not a speed.
  const plan = backends.flatMap((b) => (b === 'wasm' && threads > 1 ? [[b, 1], [b, threads]] : [[b, 1]]) as [BackendName, number][]);
  for (const [candidate, threadCount] of plan) {
    const choice = await chooseBackend({ prefer: candidate });
    if (choice.backend !== candidate) continue;
    const run = flags.from === undefined ? await TrainingRun.create(config) : await fromCheckpoint(String(flags.from), config);
    const pool = await useThreads(run, threadCount, candidate);
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
        threads: pool ? pool.replicas.length + 1 : 1,
        parameters: run.policy.parameterCount(),
        sftTokensPerSecond: Math.round(sftTps),
        rolloutTokensPerSecond: Math.round(rollout),
        grpoTrainTokensPerSecond: Math.round(train),
        secondsPerIteration: Number(seconds.toFixed(2)),
        projectedBaseToAlignedSeconds: release?.iterationsToThresholds ? Math.round(release.iterationsToThresholds * seconds) : null,
        ...(await maskCost(run)),
      });
    } finally {
      await pool?.close();
      run.dispose();
    }
  }
  const one = rows.find((r) => r.backend === 'wasm' && r.threads === 1);
  const many = rows.find((r) => r.backend === 'wasm' && r.threads > 1);
  process.stderr.write(
    [
      'backend  threads  params   sft tok/s  rollout tok/s  grpo train tok/s  s/iteration  mask ms/token (of a step)  base->aligned (projected)',
      ...rows.map(
        (r) =>
          `${r.backend.padEnd(8)} ${String(r.threads).padEnd(8)} ${String(r.parameters).padEnd(8)} ${String(r.sftTokensPerSecond).padEnd(10)} ` +
          `${String(r.rolloutTokensPerSecond).padEnd(14)} ${String(r.grpoTrainTokensPerSecond).padEnd(17)} ${String(r.secondsPerIteration).padEnd(12)} ` +
          `${`${r.maskMsPerToken} (${((100 * r.maskMsPerToken) / r.generationMsPerToken).toFixed(1)}%)`.padEnd(26)} ` +
          (r.projectedBaseToAlignedSeconds === null ? 'thresholds not reached' : `${r.projectedBaseToAlignedSeconds} s`),
      ),
      ...(one && many
        ? [
            `wasm, ${many.threads} threads vs 1: cold start ${(many.sftTokensPerSecond / one.sftTokensPerSecond).toFixed(2)}x tokens/s, ` +
              `rollouts ${(many.rolloutTokensPerSecond / one.rolloutTokensPerSecond).toFixed(2)}x tokens/s, GRPO iteration ${(one.secondsPerIteration / many.secondsPerIteration).toFixed(2)}x faster`,
          ]
        : []),
      release
        ? `release run (${release.backend}): GRPO ${release.seconds.toFixed(0)} s, thresholds ` +
          (release.iterationsToThresholds ? `met at iteration ${release.iterationsToThresholds}` : 'not met')
        : 'no release report found (npm run train:release)',
      '',
    ].join('\n'),
  );
  process.stdout.write(JSON.stringify({ model: config.model, rows, release, tfjs: tf.version.tfjs }) + '\n');
}

/** A run on a checkpoint's weights and tokenizer, with the bench's config (its cold-start steps measured on it). */
async function fromCheckpoint(dir: string, config: RunConfig): Promise<TrainingRun> {
  const { model, tokenizer } = await loadCheckpointDir(dir, { trainable: true });
  return new TrainingRun(config, tokenizer, model);
}

/** The last `npm run train:release` (its aligned report): GRPO time and the iterations it took to the thresholds. */
async function releaseTiming(): Promise<{ backend: string; seconds: number; iterationsToThresholds: number | null } | null> {
  try {
    const report = JSON.parse(await readFile('public/checkpoints/aligned/report.json', 'utf8')) as {
      training?: { backend?: string; grpoSeconds?: number; thresholdsReachedAt?: { iteration: number } | null };
    };
    const t = report.training;
    if (!t || typeof t.grpoSeconds !== 'number') return null;
    return { backend: String(t.backend), seconds: t.grpoSeconds, iterationsToThresholds: t.thresholdsReachedAt?.iteration ?? null };
  } catch {
    return null;
  }
}
