// What the trainer worker does, as a plain class (workers/trainer.worker.ts only exposes it with comlink):
// holds the training runs (the page's main run, and A/B runs of the reward lab), steps them one at a time,
// keeps each run's last good state so a lost GPU device costs at most one iteration, and snapshots runs for
// IndexedDB and checkpoint export. It is the only user of TensorFlow.js and WebGPU.
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import type { RunConfig } from '../core/config';
import { parseCases } from '../core/cases';
import { benchmarkReport, type BenchmarkReport } from '../core/benchmarks/report';
import { errorMessage } from '../core/errors';
import type { RolloutSandbox } from '../core/sandbox/pool';
import type { BackendChoiceName } from '../core/urlstate';
import { chooseBackend, type BackendChoice, type BackendName } from '../ml/backend';
import { deserializeCheckpoint, fetchCheckpoint, serializeCheckpoint, type Checkpoint, type RunProgress } from '../ml/checkpoint';
import { evaluateCases } from '../ml/evaluate';
import { collectRollouts } from '../ml/rollout';
import type { TransformerLM } from '../ml/model';
import type { Tokenizer } from '../ml/tokenizer';
import { getRewardForConfig } from '../core/reward';
import { SandboxPool } from '../core/sandbox/pool';
import { classifyOutcome, rewardNote } from '../core/metrics';
import type { RolloutRecord } from './outcome';
import { showcaseEpisodes } from './showcase';
import { TrainingRun } from '../ml/run';
import { trainStep, type TrainEvent } from '../ml/train';
import { sampleCases } from '../core/benchmarks/sample';
import type { PoolPortApi } from './sandbox-service';

/** Everything needed to rebuild a run: its config, where it stands, the policy and (once GRPO began) the frozen base. */
export interface RunSnapshot {
  config: RunConfig;
  progress: RunProgress;
  policy: Checkpoint;
  reference: Checkpoint | null;
}

export interface RunInfo {
  runId: string;
  /** Where the weights came from. */
  source: 'base' | 'scratch' | 'import' | 'restore';
  /** The config in force (the model shape follows the checkpoint). */
  config: RunConfig;
  progress: RunProgress;
  parameters: number;
}

export interface SuiteEvaluation {
  report: BenchmarkReport;
  /** Cases evaluated (the sample) and in the suite. */
  evaluated: number;
  total: number;
  seconds: number;
}

/** One model's greedy play of the showcase scenarios (src/app/showcase.ts), in showcase order. */
export interface ShowcasePlay {
  model: string;
  records: RolloutRecord[];
}

export interface BackendReport extends BackendChoice {
  /** Set when the backend changed under a running run (e.g. the GPU device was lost). */
  notice?: string;
}

/** A step of the training loop (src/ml/train.ts), or one stopped by stop() before its update (the run is then as
 * before the iteration, which replays alike); with the backend it ran on. */
export type StepResult = (TrainEvent | { kind: 'stopped' }) & { backend: BackendReport };

/** Told as each rollout of an iteration ends: how many ended, of how many, and which one. */
export type RolloutListener = (done: number, total: number, index: number) => void;

class Stopped extends Error {
  constructor() {
    super('stopped at a rollout boundary');
  }
}

const FALLBACK_AFTER: Record<BackendName, BackendName[]> = {
  webgpu: ['wasm', 'webgl', 'cpu'],
  wasm: ['webgl', 'cpu'],
  webgl: ['wasm', 'cpu'],
  cpu: [],
};

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software/i;

/** The model shape of a checkpoint wins over the URL's: weights only fit their own shape. */
function withModelOf(config: RunConfig, ckpt: { manifest: Checkpoint['manifest'] }): RunConfig {
  const { dModel, nLayers, nHeads, dFF, contextLength, vocabSize, positions } = ckpt.manifest.config;
  return { ...config, model: { dModel, nLayers, nHeads, dFF, contextLength, vocabSize, positions: positions ?? 'learned' } };
}

export class TrainerService {
  private runs = new Map<string, TrainingRun>();
  private sources = new Map<string, RunInfo['source']>();
  private lastGood = new Map<string, RunSnapshot>();
  private backend: BackendReport | null = null;
  /** Where the wasm binaries are and how many threads they may use, kept for a fallback after a lost device. */
  private wasm: { wasmBaseUrl?: string; wasmThreads?: number } = {};
  private deviceLost: string | null = null;
  private pool: Comlink.Remote<PoolPortApi> | null = null;
  private poolPort: MessagePort | null = null;
  /** Rejects the sandbox calls in flight when the page reports the sandbox worker gone. */
  private abortPending: ((e: Error) => void)[] = [];
  /** One per iteration in progress, so stop() can end it at its next boundary. */
  private inFlight = new Map<string, AbortController>();
  /** Shipped checkpoints loaded for the Compare view, by URL (kept: the view is replayed after every iteration). */
  private shipped = new Map<string, Promise<{ model: TransformerLM; tokenizer: Tokenizer }>>();
  /** Serialised frozen bases: a base never changes, so it is serialised once per run, not after every step. */
  private references = new WeakMap<TransformerLM, Promise<Checkpoint>>();

  /** Plays rollouts in the sandbox worker over `port` from now on (the page made the channel). */
  connectSandbox(port: MessagePort): void {
    this.pool?.[Comlink.releaseProxy]();
    this.poolPort?.close();
    this.poolPort = port;
    this.pool = Comlink.wrap<PoolPortApi>(port);
  }

  /** The page terminated the sandbox worker (a custom reward ran past its limit): fail the step in flight. */
  sandboxLost(reason: string): void {
    const pending = this.abortPending;
    this.abortPending = [];
    for (const reject of pending) reject(new Error(`sandbox: ${reason}`));
  }

  /** Starts the first backend that works, `prefer` first ('auto': webgpu -> wasm -> webgl -> cpu). */
  async init(opts: { prefer: BackendChoiceName; wasmBaseUrl?: string; wasmThreads?: number }): Promise<BackendReport> {
    const wasm = { ...(opts.wasmBaseUrl ? { wasmBaseUrl: opts.wasmBaseUrl } : {}), ...(opts.wasmThreads ? { wasmThreads: opts.wasmThreads } : {}) };
    this.wasm = wasm;
    let choice: BackendReport = await chooseBackend({ ...(opts.prefer === 'auto' ? {} : { prefer: opts.prefer }), ...wasm });
    // A software WebGPU adapter (SwiftShader) trains ~30x slower than wasm here: 'auto' skips it, 'webgpu' keeps it.
    if (opts.prefer === 'auto' && choice.backend === 'webgpu' && SOFTWARE_ADAPTER.test(choice.adapter ?? '')) {
      const reason = `software adapter (${choice.adapter}): wasm is faster`;
      const next = await chooseBackend({ prefer: 'wasm', ...wasm });
      choice = { ...next, failed: [...choice.failed, { backend: 'webgpu', reason }, ...next.failed], notice: `WebGPU has only a ${reason}; training on ${next.backend} (add backend=webgpu to the address to use it anyway)` };
    }
    this.backend = choice;
    this.watchDevice();
    return choice;
  }

  /** The shipped (or any served) checkpoint folder as the start of a run. */
  async startFromUrl(runId: string, url: string, config: RunConfig): Promise<RunInfo> {
    const { model, tokenizer, manifest } = await fetchCheckpoint(url, { trainable: true });
    const cfg = withModelOf(config, { manifest });
    const sft = manifest.meta?.progress.sftStepsDone ?? 0;
    return this.install(runId, this.grpoFrom(new TrainingRun(cfg, tokenizer, model, { sftStepsDone: sft, grpoIterationsDone: 0 }, null, this.sandboxFor(runId))), 'base');
  }

  /** A fresh model and tokenizer; the page then pretrains it with step() (the cold start comes first). */
  async startFromScratch(runId: string, config: RunConfig): Promise<RunInfo> {
    return this.install(runId, await TrainingRun.create(config, this.sandboxFor(runId)), 'scratch');
  }

  /** A run rebuilt from a snapshot (IndexedDB after a reload, an imported checkpoint, a lost device). */
  async restore(runId: string, snap: RunSnapshot, source: RunInfo['source'] = 'restore'): Promise<RunInfo> {
    return this.install(runId, await this.rebuild(runId, snap), source);
  }

  /** An exported checkpoint file pair as the new start of a run (GRPO starts afresh from it). */
  async importCheckpoint(runId: string, ckpt: Checkpoint, config: RunConfig): Promise<RunInfo> {
    const { model, tokenizer, manifest } = deserializeCheckpoint(ckpt.manifest, ckpt.weights, { trainable: true });
    const cfg = withModelOf(config, { manifest });
    return this.install(runId, this.grpoFrom(new TrainingRun(cfg, tokenizer, model, undefined, null, this.sandboxFor(runId))), 'import');
  }

  /** Another run starting from the same weights and progress as `fromId`, with its own config (A/B). */
  async fork(fromId: string, runId: string, config: RunConfig): Promise<RunInfo> {
    const snap = await this.snapshotOf(fromId);
    return this.install(runId, await this.rebuild(runId, { ...snap, config: { ...config, model: snap.config.model } }), this.sources.get(fromId) ?? 'restore');
  }

  /**
   * The run's next step of the training loop: a cold-start step while pretraining, then the base, then a GRPO
   * iteration whose rollouts `onRollout` hears end. stop() ends an iteration early (result kind 'stopped').
   */
  async step(runId: string, onRollout?: RolloutListener): Promise<StepResult> {
    const stop = new AbortController();
    this.inFlight.set(runId, stop);
    try {
      return await this.guarded(runId, async (run) => ({ ...(await trainStep(run, { signal: stop.signal, ...(onRollout ? { onRollout } : {}) })), backend: this.report() }));
    } catch (e) {
      if (e instanceof Stopped) return { kind: 'stopped', backend: this.report() };
      throw e;
    } finally {
      this.inFlight.delete(runId);
    }
  }

  /**
   * Ends the iterations in progress at their next boundary: before the next rollout turn, or before the update once
   * the rollouts are done (an update under way finishes). Says whether any was in progress.
   */
  stop(): boolean {
    for (const c of this.inFlight.values()) c.abort(new Stopped());
    return this.inFlight.size > 0;
  }

  /**
   * The run's policy, greedy, on a sample of a benchmark suite (a case-format .jsonl at `url`): the next turn of
   * each case, classified and reported per category. Evaluation only: nothing is trained on these cases.
   */
  async evaluateSuite(runId: string, url: string, opts: { limit: number; maxNewTokens: number }): Promise<SuiteEvaluation> {
    const run = this.need(runId);
    const started = performance.now();
    const res = await fetch(url);
    if (!res.ok) throw new Error(`benchmark: ${url}: HTTP ${res.status} ${res.statusText}`);
    const { cases, errors } = parseCases(await res.text());
    const first = errors[0];
    if (first) throw new Error(`benchmark: ${url} line ${first.line}: ${first.field}: ${first.message}`);
    const sample = sampleCases(cases, opts.limit);
    const results = await evaluateCases(run.policy, run.tokenizer, sample, { maxNewTokens: opts.maxNewTokens, decoding: run.config.decoding, batch: 16 });
    return { report: benchmarkReport(sample, results), evaluated: sample.length, total: cases.length, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * The showcase scenarios played greedily by each shipped checkpoint in `checkpoints` (name -> folder URL) and by
   * the run `runId` as it is now ('current run'), scored with the run's reward (the paper's when it is custom code,
   * which runs only in the sandbox worker). A checkpoint that does not load fails the call, naming it.
   */
  async showcase(runId: string, checkpoints: Record<string, string>): Promise<ShowcasePlay[]> {
    const run = this.need(runId);
    const { config } = run;
    const episodes = showcaseEpisodes();
    const players: { model: string; load: () => Promise<{ model: TransformerLM; tokenizer: Tokenizer }> }[] = [
      ...Object.entries(checkpoints).map(([model, url]) => ({ model, load: () => this.loadShipped(model, url) })),
      { model: 'current run', load: async () => ({ model: run.policy, tokenizer: run.tokenizer }) },
    ];
    const reward = getRewardForConfig(config.reward === 'custom' ? { reward: 'paper' } : config);
    const out: ShowcasePlay[] = [];
    for (const player of players) {
      const { model, tokenizer } = await player.load();
      const { rollouts } = await collectRollouts(model, tokenizer, new SandboxPool(reward), episodes, {
        groupSize: 1,
        maxTurns: config.maxTurns,
        pYes: config.pYes,
        maxNewTokens: config.grpo.maxNewTokens,
        temperature: 0,
        topK: 0,
        seed: 1,
        decoding: config.decoding,
      });
      out.push({
        model: player.model,
        records: rollouts.map((r, i) => {
          const outcome = classifyOutcome(r.trace, r.episode, reward.policy);
          return { index: i, group: i, episode: r.episode, trace: r.trace, reward: r.reward, outcome, rewardNote: rewardNote(outcome, r.reward, r.episode, reward) };
        }),
      });
    }
    return out;
  }

  private loadShipped(name: string, url: string): Promise<{ model: TransformerLM; tokenizer: Tokenizer }> {
    let loading = this.shipped.get(url);
    if (!loading) {
      loading = fetchCheckpoint(url).catch((e: unknown) => {
        this.shipped.delete(url);
        throw new Error(`the ${name} checkpoint (${url}) did not load: ${errorMessage(e)}`);
      });
      this.shipped.set(url, loading);
    }
    return loading;
  }

  /** The run as it is now (weights copied: training may go on). */
  async snapshot(runId: string): Promise<RunSnapshot> {
    // The last good state is taken after every step, so it is the run as it is now (no second GPU read-back).
    return this.lastGood.get(runId) ?? this.snapshotOf(runId);
  }

  info(runId: string): RunInfo {
    return this.infoOf(runId, this.need(runId));
  }

  dispose(runId: string): void {
    this.runs.get(runId)?.dispose();
    this.runs.delete(runId);
    this.lastGood.delete(runId);
  }

  /** Test hook: destroys the WebGPU device, as a driver reset would. */
  loseDevice(): boolean {
    const device = (tf.backend() as unknown as { device?: { destroy(): void } }).device;
    if (!device) return false;
    device.destroy();
    return true;
  }

  // ------------------------------------------------------------------ internals

  private need(runId: string): TrainingRun {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`trainer: no run '${runId}' (start one first)`);
    return run;
  }

  private report(): BackendReport {
    if (!this.backend) throw new Error('trainer: init() was not called');
    return this.backend;
  }

  private infoOf(runId: string, run: TrainingRun): RunInfo {
    return { runId, source: this.sources.get(runId) ?? 'restore', config: run.config, progress: run.progress, parameters: run.policy.parameterCount() };
  }

  private async install(runId: string, run: TrainingRun, source: RunInfo['source']): Promise<RunInfo> {
    this.runs.get(runId)?.dispose();
    this.runs.set(runId, run);
    this.sources.set(runId, source);
    this.lastGood.set(runId, await this.capture(run));
    return this.infoOf(runId, run);
  }

  /** The run's rollouts go to its pool in the sandbox worker; without a connected sandbox, in-process (Node tests). */
  private sandboxFor(runId: string): RolloutSandbox | undefined {
    if (!this.pool) return undefined;
    const call = <T>(f: (pool: Comlink.Remote<PoolPortApi>) => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const pool = this.pool;
        if (!pool) return reject(new Error('sandbox: not connected'));
        this.abortPending.push(reject);
        const done = (): void => {
          this.abortPending = this.abortPending.filter((r) => r !== reject);
        };
        f(pool).then(
          (v) => (done(), resolve(v)),
          (e: unknown) => (done(), reject(e instanceof Error ? e : new Error(String(e)))),
        );
      });
    return {
      start: (req) => call((p) => p.start(runId, req)),
      step: (texts) => call((p) => p.step(runId, texts)),
      finish: () => call((p) => p.finish(runId)),
    };
  }

  /** A run started from a checkpoint has had its cold start: GRPO begins from it, with it as the frozen base. */
  private grpoFrom(run: TrainingRun): TrainingRun {
    run.startGrpo();
    return run;
  }

  private async rebuild(runId: string, snap: RunSnapshot): Promise<TrainingRun> {
    const { model, tokenizer, optimizer } = deserializeCheckpoint(snap.policy.manifest, snap.policy.weights.slice(0), { trainable: true });
    const reference = snap.reference ? deserializeCheckpoint(snap.reference.manifest, snap.reference.weights.slice(0)).model : null;
    try {
      return await TrainingRun.resume({ ...snap, optimizer }, tokenizer, model, reference, this.sandboxFor(runId));
    } catch (e) {
      throw new Error(`checkpoint: ${errorMessage(e)}`);
    }
  }

  private async capture(run: TrainingRun): Promise<RunSnapshot> {
    const meta = { config: run.config, progress: run.progress };
    const policy = await serializeCheckpoint(run.policy, run.tokenizer, { meta, optimizer: await run.optimizerState() });
    const reference = run.reference ? await this.serializedReference(run.reference, run.tokenizer, meta) : null;
    return { config: run.config, progress: run.progress, policy, reference };
  }

  private serializedReference(reference: TransformerLM, tokenizer: Tokenizer, meta: { config: RunConfig; progress: RunProgress }): Promise<Checkpoint> {
    let ckpt = this.references.get(reference);
    if (!ckpt) {
      ckpt = serializeCheckpoint(reference, tokenizer, { meta });
      this.references.set(reference, ckpt);
    }
    return ckpt;
  }

  private async snapshotOf(runId: string): Promise<RunSnapshot> {
    return this.capture(this.need(runId));
  }

  /** Runs a step; if the GPU failed under it, moves every run to the next backend from its last good state and retries once. */
  private async guarded(runId: string, step: (run: TrainingRun) => Promise<StepResult>): Promise<StepResult> {
    const once = async (): Promise<StepResult> => {
      const run = this.need(runId);
      const result = await step(run);
      this.lastGood.set(runId, await this.capture(run));
      return result;
    };
    try {
      return await once();
    } catch (e) {
      if (this.backend?.backend !== 'webgpu' || !this.gpuFailed(e)) throw e;
      await this.fallBack(this.deviceLost ?? errorMessage(e));
      return once();
    }
  }

  /** A WebGPU failure (device lost, out of memory, validation) as opposed to a sandbox or reward error. */
  private gpuFailed(e: unknown): boolean {
    if (this.deviceLost) return true;
    return /webgpu|gpu|device/i.test(errorMessage(e)) && !/custom reward|sandbox/i.test(errorMessage(e));
  }

  private async fallBack(why: string): Promise<void> {
    const from = this.report().backend;
    let choice: BackendChoice | null = null;
    const failed: BackendChoice['failed'] = [{ backend: from, reason: why }];
    for (const next of FALLBACK_AFTER[from]) {
      try {
        const c = await chooseBackend({ prefer: next, ...this.wasm });
        if (c.backend !== 'webgpu') {
          choice = c;
          break;
        }
      } catch (e) {
        failed.push({ backend: next, reason: errorMessage(e) });
      }
    }
    if (!choice) throw new Error(`trainer: ${from} failed (${why}) and no other backend started`);
    const at = [...this.lastGood.entries()];
    // The old backend's tensors are gone with its device: rebuild every run on the new backend from its snapshot.
    for (const [id] of at) {
      try {
        this.runs.get(id)?.dispose();
      } catch {
        // disposing on a lost device may throw; the memory goes with the device anyway
      }
      this.runs.set(id, await this.rebuild(id, this.lastGood.get(id) as RunSnapshot));
    }
    this.deviceLost = null;
    this.shipped.clear();
    const iteration = Math.max(0, ...at.map(([, s]) => s.progress.grpoIterationsDone));
    this.backend = {
      ...choice,
      failed: [...failed, ...choice.failed],
      notice: `${from} failed (${why}); training continues on ${choice.backend} from iteration ${iteration} (the last good state)`,
    };
  }

  private watchDevice(): void {
    const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message: string; reason?: string }> } }).device;
    device?.lost?.then((info) => {
      this.deviceLost = `GPU device lost${info.reason ? ` (${info.reason})` : ''}${info.message ? `: ${info.message}` : ''}`;
    });
  }
}
