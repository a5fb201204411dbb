// `asp train`: cold start and/or GRPO from a JSON config. Checkpoints: DIR (latest policy) and DIR/base
// (the cold-started base, the frozen reference of GRPO). Ctrl-C finishes the step in flight, saves, and exits;
// `--resume DIR` continues from there.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRunConfig, type RunConfig } from '../core/config';
import { chooseBackend, type BackendName, BACKENDS } from '../ml/backend';
import { loadCheckpointDir, saveCheckpointDir } from '../ml/checkpoint-node';
import { TrainingRun } from '../ml/run';
import { trainSteps } from '../ml/train';
import { oneOf, parseFlags, UsageError } from './args';
import { progressBar } from './progress';

export async function trainCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    config: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    backend: { type: 'string' },
  });
  if (!flags.resume && !flags.out) throw new UsageError('train needs --out DIR (or --resume DIR)');
  const prefer = flags.backend === undefined ? undefined : oneOf<BackendName>('backend', flags.backend, BACKENDS);
  const backend = await chooseBackend({ prefer });
  process.stderr.write(`backend: ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''}\n`);

  const dir = (flags.resume ?? flags.out) as string;
  const run = flags.resume ? await resumeRun(dir) : TrainingRun.create(await readConfig(flags.config));
  await trainLoop(await run, dir);
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
    throw new UsageError(`config ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseRunConfig(json);
}

/** Reads DIR (and DIR/base once GRPO had begun) back into a run. */
export async function resumeRun(dir: string): Promise<TrainingRun> {
  const { model, tokenizer, manifest } = await loadCheckpointDir(dir, { trainable: true });
  const { meta } = manifest;
  if (!meta) throw new Error(`checkpoint: ${dir} has no run state (meta.config, meta.progress) to resume`);
  const config = parseRunConfig(meta.config);
  const reference = meta.progress.grpoIterationsDone > 0 ? (await loadCheckpointDir(join(dir, 'base'))).model : null;
  return new TrainingRun(config, tokenizer, model, meta.progress, reference);
}

async function trainLoop(run: TrainingRun, dir: string): Promise<void> {
  const { sft, grpo } = run.config;
  await mkdir(dir, { recursive: true });
  const metricsFile = join(dir, 'metrics.jsonl');
  const save = (target: string, metrics?: unknown) =>
    saveCheckpointDir(target, run.policy, run.tokenizer, { metrics, meta: { config: run.config, progress: run.progress } });
  let stop = false;
  let stopAt = 0;
  const onSigint = () => {
    // tsx relays the terminal's Ctrl-C, so one keypress can arrive twice: only a later one quits at once.
    if (stop && Date.now() - stopAt > 1000) process.exit(130);
    if (stop) return;
    stop = true;
    stopAt = Date.now();
    process.stderr.write('\nstopping after this step; saving a resumable checkpoint (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const bar = progressBar('cold start', sft.steps);
    const gbar = progressBar('grpo', grpo.iterations);
    let last: unknown;
    for await (const event of trainSteps(run)) {
      if (event.kind === 'sft') {
        const p = event.progress;
        bar.update(p.step, `loss ${p.loss.toFixed(3)}  ${Math.round(p.tokensPerSecond)} tok/s`);
        if (p.step % 10 === 0 || p.step === sft.steps) await appendFile(metricsFile, JSON.stringify({ phase: 'sft', ...p }) + '\n');
      } else if (event.kind === 'base') {
        bar.done();
        await save(join(dir, 'base'));
      } else {
        const m = event.metrics;
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
    await save(dir, last);
    process.stderr.write(`${stop ? 'saved resumable checkpoint' : 'saved checkpoint'} to ${dir}\n`);
    if (stop) process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

const fmt = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
