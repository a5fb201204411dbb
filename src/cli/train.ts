// `asp train`: cold start and/or GRPO from a JSON config. Checkpoints: DIR (latest policy) and DIR/base
// (the cold-started base, the frozen reference of GRPO). Ctrl-C finishes the step in flight, saves, and exits;
// `--resume DIR` continues from there. Custom reward code (a config's or a run folder's) runs only with
// --allow-reward-code, and then isolated (src/cli/reward-isolate.ts).
import { appendFile, mkdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseRunConfig, type RunConfig } from '../core/config';
import { errorMessage } from '../core/errors';
import { REWARD_TIMEOUT_MS } from '../core/reward/custom';
import { chooseBackend, type BackendName, BACKENDS } from '../ml/backend';
import { loadCheckpointDir, saveCheckpointDir } from '../ml/checkpoint-node';
import type { RunProgress } from '../ml/checkpoint';
import { TrainingRun } from '../ml/run';
import { trainSteps, type TrainEvent } from '../ml/train';
import { intFlag, oneOf, parseFlags, UsageError } from './args';
import { defaultThreads, openReplicas, type ReplicaPool } from './replicas';
import { progressBar } from './progress';
import { DEFAULT_REWARD_LIMITS, IsolatedReward, IsolatedRewardSandbox, type RewardLimits } from './reward-isolate';

/** The shipped checkpoints: never trained in place. */
const SHIPPED_DIR = fileURLToPath(new URL('../../public/checkpoints/', import.meta.url));
/** What a run folder holds; `--out` on a folder with any of them needs --force, which removes them first. */
const RUN_FILES = ['manifest.json', 'weights.bin', 'metrics.jsonl', 'base'];

export async function trainCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    config: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string', default: String(defaultThreads()) },
    force: { type: 'boolean', default: false },
    'allow-reward-code': { type: 'boolean', default: false },
    'reward-timeout-ms': { type: 'string', default: String(DEFAULT_REWARD_LIMITS.timeoutMs) },
  });
  if (!flags.resume && !flags.out) throw new UsageError('train needs --out DIR (or --resume DIR)');
  if (flags.resume && (flags.out || flags.config)) throw new UsageError('--resume DIR continues that run with its own config: give no --out or --config');
  const prefer = flags.backend === undefined ? undefined : oneOf<BackendName>('backend', flags.backend, BACKENDS);
  const limits: RewardLimits = {
    ...DEFAULT_REWARD_LIMITS,
    timeoutMs: intFlag('reward-timeout-ms', flags['reward-timeout-ms'], REWARD_TIMEOUT_MS.min, REWARD_TIMEOUT_MS.max),
  };
  const threads = intFlag('threads', flags.threads, 1, 256);
  const force = flags.force === true;
  const dir = (flags.resume ?? flags.out) as string;
  if (flags.resume) await refuseShipped(dir, force);

  const state = flags.resume ? await readRunState(dir) : { config: await readConfig(flags.config), progress: null };
  if (state.config.reward === 'custom' && flags['allow-reward-code'] !== true) {
    const where = flags.resume ? `${join(dir, 'manifest.json')} (meta.config.customReward)` : `config ${String(flags.config)} (customReward)`;
    const read = flags.resume ? `jq -r .meta.config.customReward ${join(dir, 'manifest.json')}` : `jq -r .customReward ${String(flags.config)}`;
    throw new UsageError(
      `${where} carries custom reward code; it runs only with --allow-reward-code (isolated: no files, network, processes or modules, ` +
        `${limits.timeoutMs} ms per call, ${limits.memoryMb} MB). Read it first: ${read}`,
    );
  }

  // Only once the config is known good: --force never clears a run for a config that would not start.
  if (!flags.resume) await claimOutDir(dir, force);

  const backend = await chooseBackend({ prefer });
  process.stderr.write(`backend: ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''}\n`);
  const reward = state.config.reward === 'custom' ? await IsolatedReward.open(state.config.customReward ?? '', limits) : null;
  let pool: ReplicaPool | null = null;
  try {
    const sandbox = reward ? new IsolatedRewardSandbox(reward) : undefined;
    const run = state.progress ? await resumeRun(dir, state, sandbox) : await TrainingRun.create(state.config, sandbox);
    pool = await useThreads(run, threads, backend.backend);
    const asked = state.config.model.vocabSize;
    if (!state.progress && run.tokenizer.vocabSize < asked) {
      process.stderr.write(`note: model.vocabSize ${asked} asked, but the tokenizer's corpus yields ${run.tokenizer.vocabSize} tokens: the model uses ${run.tokenizer.vocabSize}\n`);
    }
    await trainLoop(run, dir, reward);
  } finally {
    await reward?.close();
    await pool?.close();
  }
}

/**
 * Shares the run's cold-start steps and GRPO rollouts with threads - 1 policy replicas in worker threads (the wasm
 * backend is single-threaded in Node); none on one thread, or when nothing is left to train.
 */
export async function useThreads(run: TrainingRun, threads: number, backend: BackendName): Promise<ReplicaPool | null> {
  if (threads <= 1 || (run.sftStepsDone >= run.config.sft.steps && run.grpoIterationsDone >= run.config.grpo.iterations)) return null;
  const pool = await openReplicas(threads, run.policy.config, run.tokenizer.toJSON(), backend);
  run.replicas = pool.replicas;
  return pool;
}

/** A run config from a JSON file (the defaults without one); a missing or bad file is a UsageError naming it. */
export async function readConfig(path: unknown): Promise<RunConfig> {
  if (typeof path !== 'string') return parseRunConfig({});
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config ${path} is not valid JSON: ${errorMessage(e)}`);
  }
  try {
    return parseRunConfig(json);
  } catch (e) {
    throw new UsageError(`config ${path}: ${errorMessage(e)}`);
  }
}

/** A folder that already holds a run is replaced only with --force (its run files removed first, nothing else). */
async function claimOutDir(dir: string, force: boolean): Promise<void> {
  const present: string[] = [];
  for (const file of RUN_FILES) if (await exists(join(dir, file))) present.push(file);
  if (present.length === 0) return;
  if (!force) {
    throw new UsageError(
      `${dir} already holds a run (${present.join(', ')}); continue it with --resume ${dir}, choose another --out, or pass --force to replace it`,
    );
  }
  for (const file of present) await rm(join(dir, file), { recursive: true, force: true });
}

async function refuseShipped(dir: string, force: boolean): Promise<void> {
  const [real, shipped] = await Promise.all([realpath(dir).catch(() => dir), realpath(SHIPPED_DIR).catch(() => SHIPPED_DIR)]);
  const rel = relative(shipped, real);
  if (!force && !rel.startsWith('..') && !isAbsolute(rel)) {
    throw new UsageError(`${dir} is a shipped checkpoint: resuming would train it in place; copy it first (cp -r ${dir} my-run) and resume the copy, or pass --force`);
  }
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

export async function readRunState(dir: string): Promise<{ config: RunConfig; progress: RunProgress }> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${join(dir, 'manifest.json')}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseRunState(text, dir);
}

/**
 * The run state a checkpoint's manifest text carries, checked against its own config: a hand-edited count is a
 * UsageError naming the field, not a guess.
 */
export function parseRunState(text: string, dir: string): { config: RunConfig; progress: RunProgress } {
  let meta: { config?: unknown; progress?: unknown } | undefined;
  try {
    meta = (JSON.parse(text) as { meta?: typeof meta } | null)?.meta;
  } catch (e) {
    throw new UsageError(`checkpoint: ${join(dir, 'manifest.json')} is not valid JSON: ${errorMessage(e)}`);
  }
  if (typeof meta !== 'object' || meta === null || !meta.config || !meta.progress) {
    throw new UsageError(`checkpoint: ${dir} has no run state (meta.config, meta.progress) to resume`);
  }
  let config: RunConfig;
  try {
    config = parseRunConfig(meta.config);
  } catch (e) {
    throw new UsageError(`checkpoint: ${dir} meta.config: ${errorMessage(e)}`);
  }
  const count = (max: number) => z.number().int().min(0).max(max);
  const parsed = z
    .object({ sftStepsDone: count(config.sft.steps), grpoIterationsDone: count(config.grpo.iterations) })
    .strict()
    .refine((p) => p.grpoIterationsDone === 0 || p.sftStepsDone === config.sft.steps, {
      message: 'GRPO iterations are counted but the cold start is not finished',
    })
    .safeParse(meta.progress);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`checkpoint: ${dir} meta.progress${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message}`);
  }
  return { config, progress: parsed.data };
}

/** Reads DIR (and DIR/base once GRPO had begun) back into a run. */
export async function resumeRun(
  dir: string,
  { config, progress }: { config: RunConfig; progress: RunProgress },
  sandbox: IsolatedRewardSandbox | undefined,
): Promise<TrainingRun> {
  const { model, tokenizer, optimizer } = await loadCheckpointDir(dir, { trainable: true });
  // GRPO has begun once its base was saved beside the run (the base step, saved before any iteration): a run stopped
  // between that step and its first iteration goes on into GRPO instead of fixing (and publishing) its base again.
  const begun = progress.grpoIterationsDone > 0 || (progress.sftStepsDone >= config.sft.steps && (await exists(join(dir, 'base', 'manifest.json'))));
  const reference = begun ? (await loadCheckpointDir(join(dir, 'base'))).model : null;
  try {
    return await TrainingRun.resume({ config, progress, optimizer }, tokenizer, model, reference, sandbox);
  } catch (e) {
    throw new UsageError(`checkpoint: ${dir}: ${errorMessage(e)}`);
  }
}

/**
 * A run that starts GRPO from the finished cold start in `dir`: its cold start must be the one `config` asks for (same
 * seed, data, model and steps; only the GRPO settings may differ), or the aligned checkpoint would not be that
 * config's. (train:release --from-base: a GRPO recipe tried without redoing the cold start.)
 */
export async function grpoFromBase(dir: string, config: RunConfig): Promise<TrainingRun> {
  const base = await readRunState(dir);
  if (base.progress.sftStepsDone !== base.config.sft.steps || base.progress.grpoIterationsDone !== 0) {
    throw new UsageError(`${dir} is not a finished cold start (progress ${JSON.stringify(base.progress)})`);
  }
  const { model: policy, tokenizer } = await loadCheckpointDir(dir, { trainable: true });
  // The weights know their position scheme; a manifest from before ALiBi does not say it.
  const made = { ...base.config, model: { ...base.config.model, positions: policy.config.positions ?? 'learned' } };
  const differing = (Object.keys(config) as (keyof RunConfig)[]).filter((k) => k !== 'grpo' && JSON.stringify(made[k]) !== JSON.stringify(config[k]));
  if (differing.length > 0) {
    policy.dispose();
    throw new UsageError(`${dir} was cold-started with other settings (${differing.join(', ')}) than this config's: --from-base changes GRPO settings only`);
  }
  return TrainingRun.resume({ config, progress: base.progress, optimizer: [] }, tokenizer, policy, null);
}

/** A step whose loss is not finite has already written NaN or infinity into the weights: stop before any save. */
function assertFinite(what: string, values: Record<string, number>): void {
  const bad = Object.entries(values).find(([, v]) => !Number.isFinite(v));
  if (bad) {
    throw new Error(
      `training diverged: ${what} ${bad[0]} is ${bad[1]}; stopped without saving, so the last checkpoint on disk is kept ` +
        '(lower the learning rate or grpo.klCoef, or bound the reward)',
    );
  }
}

async function trainLoop(run: TrainingRun, dir: string, reward: IsolatedReward | null): Promise<void> {
  const { sft, grpo } = run.config;
  await mkdir(dir, { recursive: true });
  const metricsFile = join(dir, 'metrics.jsonl');
  const save = async (target: string, metrics?: unknown, resumable = false) =>
    saveCheckpointDir(target, run.policy, run.tokenizer, {
      metrics,
      meta: { config: run.config, progress: run.progress },
      ...(resumable ? { optimizer: await run.optimizerState() } : {}),
    });
  let stop = false;
  let stopAt = 0;
  const onSigint = () => {
    // tsx relays the terminal's Ctrl-C, so one keypress can arrive twice: only a later one quits at once.
    if (stop && Date.now() - stopAt > 1000) process.exit(130);
    if (stop) return;
    stop = true;
    stopAt = Date.now();
    // A reward call in flight may never end: the isolate goes, and the iteration it was scoring is dropped.
    void reward?.close('custom reward: stopped by Ctrl-C');
    process.stderr.write('\nstopping after this step; saving a resumable checkpoint (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  process.stderr.write(`training into ${dir}: Ctrl-C stops after the current step and saves a resumable checkpoint\n`);
  try {
    const bar = progressBar('cold start', sft.steps);
    const gbar = progressBar('grpo', grpo.iterations);
    let last: unknown;
    const steps = trainSteps(run);
    for (;;) {
      let event: IteratorResult<TrainEvent>;
      try {
        event = await steps.next();
      } catch (e) {
        // Stopped while the reward scored: the iteration never reached its update, so the state before it is whole.
        if (stop) break;
        throw e;
      }
      if (event.done) break;
      const step = event.value;
      if (step.kind === 'sft') {
        const p = step.progress;
        assertFinite(`cold-start step ${p.step}:`, { loss: p.loss });
        bar.update(p.step, `loss ${p.loss.toFixed(3)}  ${Math.round(p.tokensPerSecond)} tok/s`);
        if (p.step % 10 === 0 || p.step === sft.steps) await appendFile(metricsFile, JSON.stringify({ phase: 'sft', ...p }) + '\n');
      } else if (step.kind === 'base') {
        bar.done();
        await save(join(dir, 'base'));
      } else {
        const m = step.metrics;
        assertFinite(`GRPO iteration ${m.iteration}:`, { loss: m.loss, kl: m.kl });
        last = m;
        gbar.update(
          m.iteration,
          `reward ${fmt(m.reward.total)}  acc ${fmt(m.accuracy.overall)}  attack ${fmt(m.attackSuccessRate.tool)}  kl ${m.kl.toFixed(3)}  ${m.seconds.toFixed(1)} s/it`,
        );
        await appendFile(metricsFile, JSON.stringify({ phase: 'grpo', ...m }) + '\n');
      }
      if (stop) break;
    }
    gbar.done();
    await save(dir, last, true);
    process.stderr.write(`${stop ? 'saved resumable checkpoint' : 'saved checkpoint'} to ${dir}\n`);
    if (stop) process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

const fmt = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
