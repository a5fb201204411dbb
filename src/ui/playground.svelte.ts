// The page's state and the training loop, as one reactive object the views read. It only talks to the two workers
// (trainer: TensorFlow.js; sandbox: episodes, rewards, metrics) and IndexedDB, so the main thread stays free.
// The URL is the run: changing a setting navigates to the new URL, and a URL seen before resumes its saved run.
import * as Comlink from 'comlink';
import { errorMessage } from '../core/errors';
import { DEFAULT_PAGE_OPTIONS, decodeUrlState, encodeUrlState, type UrlState } from '../core/urlstate';
import type { RunConfig } from '../core/config';
import type { BenchOptions, BenchRow } from '../core/testbench';
import type { IterationMetrics } from '../ml/grpo';
import type { SftProgress } from '../ml/run';
import type { Checkpoint } from '../ml/checkpoint';
import type { LiveRollout, RolloutRecord } from '../app/outcome';
import type { Metrics, Outcome } from '../core/metrics';
import { loadRolloutBatches, loadRun, saveRolloutBatches, saveRun, deleteRun, type SavedRun } from '../app/store';
import { SandboxHost } from '../app/watchdog';
import type { BackendReport, RunInfo, ShowcasePlay, SuiteEvaluation, TrainerService } from '../app/trainer-service';
import type { RewardChoice } from '../app/sandbox-service';
import { acceptCode, assertConsented, isAccepted, linkCode } from '../app/consent';

export type Status = 'booting' | 'needs-accept' | 'needs-base' | 'pretraining' | 'ready' | 'running' | 'error';

const MAIN = 'main';

/** The iteration in progress, as its rollouts end. */
export interface LiveIteration {
  iteration: number;
  done: number;
  total: number;
  /** The rollout that ended last (fetched from the sandbox; a little behind `done` when they end in a burst). */
  latest: LiveRollout | null;
  /** Outcomes of the rollouts ended so far (as of `latest`). */
  tally: Record<Outcome, number> | null;
  /** Metrics of the rollouts ended so far: the charts' provisional point for this iteration. */
  partial: Metrics | null;
  startedAt: number;
}

export interface AbState {
  specs: { A: RewardChoice; B: RewardChoice };
  A: IterationMetrics[];
  B: IterationMetrics[];
  target: number;
  running: boolean;
}

export class Playground {
  url: UrlState;
  /** The config part of the URL: the run's identity in IndexedDB. */
  readonly runQuery: string;
  status = $state<Status>('booting');
  /** What is happening now, in words (loading the base, pretraining step n...). */
  activity = $state('starting the workers');
  backend = $state.raw<BackendReport | null>(null);
  info = $state.raw<RunInfo | null>(null);
  history = $state.raw<IterationMetrics[]>([]);
  sft = $state.raw<SftProgress[]>([]);
  error = $state<string | null>(null);
  /** Custom reward source from a shared URL, shown but not run until accepted. */
  pendingCode = $state<string | null>(null);
  rollouts = $state.raw<{ iteration: number; records: RolloutRecord[] }[]>([]);
  restored = $state(false);
  /** The GRPO iteration in progress (null between iterations). */
  live = $state.raw<LiveIteration | null>(null);
  /** The user paused this run (the Start button then reads Resume). */
  paused = $state(false);
  ab = $state.raw<AbState | null>(null);

  private trainer!: Comlink.Remote<TrainerService>;
  private trainerWorker!: Worker;
  private sandbox!: SandboxHost;
  private stopRequested = false;
  private source = 'base';
  private rewardReady = false;

  constructor(
    query: string,
    private readonly makeTrainer: () => Worker,
    private readonly makeSandbox: () => Worker,
    private readonly baseUrl: string,
  ) {
    this.url = decodeUrlState(query);
    this.runQuery = encodeUrlState({ config: this.url.config, page: DEFAULT_PAGE_OPTIONS });
  }

  get config(): RunConfig {
    return this.url.config;
  }

  get rewardSpec(): RewardChoice {
    return { reward: this.config.reward, customReward: this.config.customReward };
  }

  /** Starts the workers and the run: a saved run for this URL, else the shipped base checkpoint (or asks). */
  async boot(): Promise<void> {
    try {
      this.trainerWorker = this.makeTrainer();
      // A worker that fails to load or dies (out of memory) never answers: say so instead of waiting.
      this.trainerWorker.addEventListener('error', (ev) => this.fail(new Error(`the trainer worker stopped: ${ev.message || 'it failed to load or ran out of memory'}; reload the page`)));
      this.trainer = Comlink.wrap<TrainerService>(this.trainerWorker);
      this.sandbox = new SandboxHost(this.makeSandbox, (reason) => void this.onSandboxLost(reason));
      await this.connectWorkers();
      this.activity = 'starting TensorFlow.js';
      this.backend = await this.trainer.init({ prefer: this.url.page.backend, wasmBaseUrl: new URL('wasm/', this.baseUrl).href, wasmThreads: this.url.page.threads });
      const code = linkCode(this.config);
      if (code !== null && !isAccepted(code)) {
        this.pendingCode = code;
        this.status = 'needs-accept';
        this.activity = 'waiting for you to accept the custom reward code from the link';
        return;
      }
      await this.afterReward();
    } catch (e) {
      this.fail(e);
    }
  }

  /** Runs the custom reward that came with the link. */
  async acceptPendingCode(): Promise<void> {
    if (this.pendingCode === null) return;
    acceptCode(this.pendingCode);
    this.pendingCode = null;
    try {
      await this.afterReward();
    } catch (e) {
      this.fail(e);
    }
  }

  private async afterReward(): Promise<void> {
    await this.setRewards();
    this.rewardReady = true;
    const saved = await loadRun(this.runQuery).catch(() => undefined);
    if (saved?.snapshot) {
      this.activity = 'restoring the saved run';
      try {
        await this.installed(await this.trainer.restore(MAIN, saved.snapshot));
        this.history = saved.metrics;
        this.sft = saved.sft;
        this.rollouts = await loadRolloutBatches(this.runQuery).catch(() => []);
        this.source = saved.source;
        this.restored = true;
        if (saved.source === 'scratch' && saved.snapshot.reference === null) {
          this.status = 'needs-base';
          this.activity = `the cold start stopped at step ${saved.snapshot.progress.sftStepsDone} of ${this.config.sft.steps}: press “Pretrain from scratch” to go on`;
          return;
        }
        this.ready();
        return;
      } catch (e) {
        // A run saved by an older version of the page (or a damaged entry): start afresh rather than get stuck.
        this.error = `the run saved for this address could not be restored (${errorMessage(e)}); it was forgotten and the run starts afresh`;
        await deleteRun(this.runQuery).catch(() => {});
      }
    }
    if (this.url.page.start === 'scratch') {
      this.status = 'needs-base';
      this.activity = 'starting from scratch: press “Pretrain from scratch”';
      return;
    }
    await this.loadBase();
  }

  /** The shipped checkpoint the URL names (base by default, or aligned), from public/checkpoints/. */
  private async loadBase(): Promise<void> {
    const name = this.url.page.start === 'aligned' ? 'aligned' : 'base';
    this.activity = `loading the shipped ${name} checkpoint`;
    try {
      await this.installed(await this.trainer.startFromUrl(MAIN, new URL(`checkpoints/${name}/`, this.baseUrl).href, this.config));
      this.source = name;
      this.ready();
    } catch (e) {
      this.status = 'needs-base';
      this.activity = `the shipped ${name} checkpoint could not be loaded (${errorMessage(e)}); pretrain from scratch instead`;
    }
  }

  /** Back to ready; `note` says why it stopped (else where the run stands). */
  private ready(note?: string): void {
    this.status = 'ready';
    this.activity = note ?? (this.history.length > 0 ? `iteration ${this.history.at(-1)?.iteration}` : 'ready: press Start');
  }

  /** One click: a fresh model and tokenizer, then the cold start for config.sft.steps steps (pausable). */
  async pretrain(): Promise<void> {
    if (!this.rewardReady) return;
    this.error = null;
    this.stopRequested = false;
    this.status = 'pretraining';
    try {
      if (this.source !== 'scratch' || !this.info) {
        this.activity = 'building the tokenizer and a fresh model';
        await this.installed(await this.trainer.startFromScratch(MAIN, this.config));
        this.source = 'scratch';
        this.history = [];
        this.sft = [];
      }
      // The training loop's steps until the cold start ends in the base (GRPO's frozen reference).
      let pretrained = false;
      while (!this.stopRequested && !pretrained) {
        const r = await this.trainer.step(MAIN);
        this.backend = r.backend;
        pretrained = r.kind === 'base';
        if (r.kind !== 'sft') continue;
        this.sft = [...this.sft, r.progress];
        this.activity = `pretraining: step ${r.progress.step} of ${this.config.sft.steps}, loss ${r.progress.loss.toFixed(3)}`;
      }
      await this.persist();
      this.status = pretrained ? 'ready' : 'needs-base';
      if (pretrained) this.ready();
    } catch (e) {
      this.fail(e, 'needs-base');
    }
  }

  /** Start or resume GRPO; runs until paused, config.grpo.iterations is reached, or an error. */
  async start(): Promise<void> {
    if (this.status !== 'ready') return;
    if ((this.history.at(-1)?.iteration ?? 0) >= this.config.grpo.iterations) {
      this.activity = `this run has done its ${this.config.grpo.iterations} iterations: raise “GRPO iterations” in Settings to go on, or use Single step`;
      return;
    }
    this.error = null;
    this.stopRequested = false;
    this.paused = false;
    this.status = 'running';
    let outcome: boolean | string = true;
    while (!this.stopRequested && (this.history.at(-1)?.iteration ?? 0) < this.config.grpo.iterations) {
      outcome = await this.iterate();
      if (outcome !== true) break;
    }
    if (this.status === 'running') this.ready(typeof outcome === 'string' ? outcome : undefined);
  }

  /** Stops at the next boundary: the next rollout turn, or the end of an update under way (or of a pretraining step). */
  pause(): void {
    this.stopRequested = true;
    if (this.status !== 'running' && this.status !== 'pretraining') return;
    this.paused = true;
    this.activity = this.live && this.live.done < this.live.total ? 'pausing at the next rollout turn' : 'pausing after this step';
    void this.trainer.stop();
  }

  /** Exactly one GRPO iteration. */
  async step(): Promise<void> {
    if (this.status !== 'ready') return;
    this.error = null;
    this.stopRequested = false;
    this.paused = false;
    this.status = 'running';
    const outcome = await this.iterate();
    if (this.status === 'running') this.ready(typeof outcome === 'string' ? outcome : undefined);
  }

  /** Forgets this URL's saved run and starts again from where the URL says (base or scratch). */
  async reset(): Promise<void> {
    if (this.status === 'running' || this.status === 'pretraining') return;
    await deleteRun(this.runQuery);
    this.paused = false;
    this.history = [];
    this.sft = [];
    this.rollouts = [];
    this.restored = false;
    this.error = null;
    this.info = null;
    this.source = 'base';
    if (this.url.page.start === 'scratch') {
      this.status = 'needs-base';
      return;
    }
    this.status = 'booting';
    await this.loadBase();
  }

  /** One iteration: true when it was done, why not when it was paused, false after an error. */
  private async iterate(): Promise<boolean | string> {
    const iteration = (this.history.at(-1)?.iteration ?? 0) + 1;
    const { episodesPerIteration, groupSize } = this.config.grpo;
    this.live = { iteration, done: 0, total: episodesPerIteration * groupSize, latest: null, tally: null, partial: null, startedAt: Date.now() };
    try {
      this.activity = `iteration ${iteration}: rollouts`;
      const r = await this.trainer.step(MAIN, Comlink.proxy((done: number, total: number, index: number) => this.onRollout(iteration, done, total, index)));
      this.backend = r.backend;
      if (r.kind === 'stopped') return `paused in iteration ${iteration} before its update (the run is as after iteration ${iteration - 1}; Resume replays it from its start)`;
      // A restored run that had not finished its cold start goes on with it: the loop's steps come in order.
      if (r.kind === 'sft') this.sft = [...this.sft, r.progress];
      if (r.kind !== 'grpo') return true;
      this.history = [...this.history, r.metrics];
      this.activity = `iteration ${r.metrics.iteration}`;
      await this.refreshRollouts();
      await this.persist();
      return true;
    } catch (e) {
      this.fail(e, 'ready');
      return false;
    } finally {
      this.live = null;
    }
  }

  private fetchingLive = false;

  /** A rollout of the iteration in progress ended: count it, and show the newest one's decisions (one fetch at a time). */
  private onRollout(iteration: number, done: number, total: number, index: number): void {
    if (this.live?.iteration !== iteration) return;
    this.live = { ...this.live, done, total };
    this.activity = done < total ? `iteration ${iteration}: rollout ${done} of ${total} ended` : `iteration ${iteration}: all ${total} rollouts ended; updating the policy`;
    if (this.fetchingLive) return;
    this.fetchingLive = true;
    void this.sandbox
      .call((s) => s.live(MAIN, index))
      .then((ended) => {
        if (ended && this.live?.iteration === iteration) this.live = { ...this.live, ...ended };
      })
      .catch(() => {})
      .finally(() => (this.fetchingLive = false));
  }

  async refreshRollouts(): Promise<void> {
    const newest = this.rollouts[0]?.iteration ?? 0;
    const newer = await this.sandbox.call((s) => s.rollouts(MAIN, newest));
    if (newer.length > 0) this.rollouts = [...newer, ...this.rollouts].slice(0, 4);
  }

  /** Saves the run in IndexedDB; a browser that refuses (private mode, quota) only loses the resume, not the run. */
  private async persist(): Promise<void> {
    const snapshot = await this.trainer.snapshot(MAIN);
    const run: SavedRun = { query: this.runQuery, savedAt: Date.now(), source: this.source, sft: this.sft, metrics: this.history, snapshot };
    try {
      await saveRun(run);
      await saveRolloutBatches(this.runQuery, this.rollouts);
    } catch (e) {
      this.error = `this browser did not save the run (${errorMessage(e)}): training goes on, but a reload will not resume it`;
    }
  }

  // ------------------------------------------------------------------ reward lab

  /** Throws if `spec` would run this link's code before the user accepted it (every path that runs code asks this). */
  checkConsent(spec: RewardChoice): void {
    assertConsented(spec, linkCode(this.config));
  }

  async testBench(spec: RewardChoice, opts: BenchOptions): Promise<BenchRow[]> {
    this.checkConsent(spec);
    return this.sandbox.call((s) => s.testBench(spec, opts, this.url.page.rewardTimeoutMs));
  }

  /** Two runs from the current weights and seed, alternating iterations, one reward each. */
  async runAb(specs: { A: RewardChoice; B: RewardChoice }, iterations: number): Promise<void> {
    if (this.status !== 'ready') return;
    try {
      this.checkConsent(specs.A);
      this.checkConsent(specs.B);
    } catch (e) {
      this.fail(e, 'ready');
      return;
    }
    this.error = null;
    this.stopRequested = false;
    this.status = 'running';
    this.ab = { specs, A: [], B: [], target: iterations, running: true };
    try {
      for (const id of ['A', 'B'] as const) {
        await this.sandbox.call((s) => s.setReward(id, specs[id], this.url.page.rewardTimeoutMs));
        await this.trainer.fork(MAIN, id, { ...this.config, ...specs[id] } as RunConfig);
      }
      for (let i = 0; i < iterations && !this.stopRequested; i++) {
        for (const id of ['A', 'B'] as const) {
          this.activity = `A/B: iteration ${i + 1} of ${iterations}, run ${id}`;
          const r = await this.trainer.step(id);
          // Paused inside A's or B's iteration: that iteration is dropped and the A/B ends here (the charts show both up to the shorter).
          if (r.kind === 'stopped') break;
          if (r.kind === 'grpo' && this.ab) this.ab = { ...this.ab, [id]: [...this.ab[id], r.metrics] };
        }
      }
    } catch (e) {
      this.fail(e, 'ready');
    } finally {
      if (this.ab) this.ab = { ...this.ab, running: false };
      if (this.status === 'running') this.ready();
    }
  }

  // ------------------------------------------------------------------ compare

  /** The showcase as each model played it; `iteration` is the current run's then. */
  compare = $state.raw<{ plays: ShowcasePlay[]; iteration: number } | null>(null);

  /** Plays the showcase with the shipped base, the shipped aligned model and the current run (between iterations). */
  async runCompare(): Promise<void> {
    if (this.status !== 'ready') throw new Error('pause the run before comparing');
    this.status = 'running';
    this.activity = 'playing the showcase with three models';
    try {
      const checkpoints = { 'shipped base': new URL('checkpoints/base/', this.baseUrl).href, 'shipped aligned': new URL('checkpoints/aligned/', this.baseUrl).href };
      this.compare = { plays: await this.trainer.showcase(MAIN, checkpoints), iteration: this.history.at(-1)?.iteration ?? 0 };
    } finally {
      this.ready();
    }
  }

  // ------------------------------------------------------------------ benchmarks

  /** The current policy on a sample of a benchmark suite (file relative to benchmarks/); blocks training meanwhile. */
  async evaluateBenchmark(file: string, limit: number, maxNewTokens: number): Promise<SuiteEvaluation> {
    if (this.status !== 'ready') throw new Error('pause the run before evaluating');
    this.status = 'running';
    this.activity = `evaluating ${limit} cases of ${file}`;
    try {
      return await this.trainer.evaluateSuite(MAIN, new URL(`benchmarks/${file}`, this.baseUrl).href, { limit, maxNewTokens });
    } finally {
      this.ready();
    }
  }

  // ------------------------------------------------------------------ settings, export, import

  /** The page's URL for a state; the run lives at its URL. */
  hrefFor(state: UrlState): string {
    const q = encodeUrlState(state);
    return q ? `?${q}` : location.pathname;
  }

  async exportCheckpoint(): Promise<Checkpoint> {
    return (await this.trainer.snapshot(MAIN)).policy;
  }

  async importCheckpoint(ckpt: Checkpoint): Promise<void> {
    if (this.status === 'running' || this.status === 'pretraining' || !this.rewardReady) throw new Error('pause the run before importing');
    const before = this.status;
    this.status = 'booting';
    this.activity = 'importing the checkpoint';
    try {
      await this.installed(await this.trainer.importCheckpoint(MAIN, ckpt, this.config));
    } catch (e) {
      // The run in place is untouched: back to where it was.
      this.status = before;
      this.activity = 'the checkpoint was not imported';
      throw e;
    }
    this.source = 'import';
    this.history = [];
    this.sft = [];
    this.rollouts = [];
    this.error = null;
    await this.persist();
    this.ready();
  }

  /** Test hook (e2e): destroys the WebGPU device under the trainer. */
  async loseDevice(): Promise<boolean> {
    return this.trainer.loseDevice();
  }

  // ------------------------------------------------------------------ workers

  private async connectWorkers(): Promise<void> {
    const channel = new MessageChannel();
    await this.sandbox.call((s) => s.connectTrainer(Comlink.transfer(channel.port1, [channel.port1])));
    await this.trainer.connectSandbox(Comlink.transfer(channel.port2, [channel.port2]));
  }

  /** A new run in the trainer: the sandbox numbers its rollouts from the run's iteration and forgets older ones. */
  private async installed(info: RunInfo): Promise<void> {
    this.info = info;
    this.rollouts = [];
    await this.sandbox.call((s) => s.setIteration(MAIN, info.progress.grpoIterationsDone));
  }

  private async setRewards(): Promise<void> {
    this.checkConsent(this.rewardSpec);
    const limit = this.url.page.rewardTimeoutMs;
    await this.sandbox.call((s) => s.setReward(MAIN, this.rewardSpec, limit));
    if (this.ab) for (const id of ['A', 'B'] as const) await this.sandbox.call((s) => s.setReward(id, this.ab!.specs[id], limit));
  }

  /** A stuck custom reward made the page replace the sandbox worker: show why, pause, and wire the new one. */
  private async onSandboxLost(reason: string): Promise<void> {
    this.stopRequested = true;
    this.error = reason;
    await this.trainer.sandboxLost(reason);
    try {
      await this.connectWorkers();
      // Compiling a custom reward evaluates its source: only once the user accepted it.
      if (this.rewardReady) {
        await this.setRewards();
        await this.sandbox.call((s) => s.setIteration(MAIN, this.history.at(-1)?.iteration ?? 0));
      }
      this.rollouts = [];
    } catch (e) {
      this.error = `${reason}; the new sandbox worker did not start: ${errorMessage(e)}`;
    }
  }

  private fail(e: unknown, then: Status = 'error'): void {
    this.error = errorMessage(e);
    this.status = then;
    this.activity = then === 'error' ? 'stopped by an error' : 'paused by an error';
  }
}
