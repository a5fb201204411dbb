// What the sandbox worker does, as a plain class (workers/sandbox.worker.ts only exposes it with comlink):
// one SandboxPool per run (episodes, tool execution, rewards, metrics), the rollouts of the last iterations for
// the Rollouts view, and the reward lab's test bench. Custom reward code runs only here; every call of it is
// announced to a watchdog (the page), which terminates this worker if a call outlives its time limit.
import * as Comlink from 'comlink';
import type { RunConfig } from '../core/config';
import { getRewardForConfig } from '../core/reward';
import { SandboxPool, type RolloutRequest, type RolloutResults, type StepReply } from '../core/sandbox/pool';
import { runTestBench, type BenchOptions, type BenchRow } from '../core/testbench';
import type { ChatMessage, RewardPreset, RewardResult } from '../core/types';
import { aggregateMetrics, classifyOutcome, rewardNote, type EpisodeRecord, type Metrics, type Outcome } from '../core/metrics';
import { KEPT_ITERATIONS, liveRollout, type LiveRollout, type RolloutRecord } from './outcome';

/** Which reward a run uses, as its config names it: a preset, or custom source (not a declarative RewardSpec). */
export type RewardChoice = Pick<RunConfig, 'reward' | 'customReward'>;

/** Told before and after each custom reward call; `limitMs` is that call's time limit. */
export type Watchdog = (event: { phase: 'enter'; limitMs: number } | { phase: 'leave' }) => void;

/** The part of the sandbox the trainer worker calls, over its own MessagePort. */
export interface PoolPortApi {
  start(runId: string, req: RolloutRequest): ChatMessage[][];
  step(runId: string, texts: (string | null)[]): StepReply[];
  finish(runId: string): RolloutResults;
}

interface PoolState {
  pool: SandboxPool;
  preset: RewardPreset;
  request: RolloutRequest | null;
  /** Rewards of the batch's rollouts scored for the live view, by index, so each is scored there once. */
  liveRewards: Map<number, RewardResult>;
  /** Newest first. */
  history: { iteration: number; records: RolloutRecord[] }[];
  iteration: number;
}

export class SandboxService {
  private pools = new Map<string, PoolState>();
  private limitMs = 1000;

  constructor(private readonly watchdog: Watchdog = () => {}) {}

  /** Compiles the reward of a run (a custom one here only); a syntax error throws and names what is wrong. */
  setReward(runId: string, spec: RewardChoice, limitMs: number): { name: string; policy: string; max: number } {
    this.limitMs = limitMs;
    const preset = this.guard(getRewardForConfig(spec), spec.reward === 'custom');
    const state = this.pools.get(runId);
    if (state) {
      state.pool.setReward(preset);
      state.preset = preset;
    } else {
      this.pools.set(runId, { pool: new SandboxPool(preset), preset, request: null, liveRewards: new Map(), history: [], iteration: 0 });
    }
    return { name: preset.name, policy: preset.policy, max: preset.max };
  }

  /** The canonical transcripts scored by a reward (not installed in any run). */
  async testBench(spec: RewardChoice, opts: BenchOptions, limitMs: number): Promise<BenchRow[]> {
    this.limitMs = limitMs;
    return runTestBench(this.guard(getRewardForConfig(spec), spec.reward === 'custom'), opts);
  }

  /**
   * The kept rollouts of a run newer than iteration `after`, newest first, so the page copies each batch once
   * (a batch of 40 traces with their worlds is a few hundred kB to clone).
   */
  rollouts(runId: string, after = 0): { iteration: number; records: RolloutRecord[] }[] {
    return (this.pools.get(runId)?.history ?? []).filter((b) => b.iteration > after);
  }

  /** Serves the trainer worker's rollouts on `port` (the page made the channel). */
  connectTrainer(port: MessagePort): void {
    const api: PoolPortApi = {
      start: (runId, req) => this.start(runId, req),
      step: (runId, texts) => this.step(runId, texts),
      finish: (runId) => this.finish(runId),
    };
    Comlink.expose(api, port);
  }

  start(runId: string, req: RolloutRequest): ChatMessage[][] {
    const state = this.need(runId);
    state.request = req;
    state.liveRewards.clear();
    return state.pool.start(req);
  }

  step(runId: string, texts: (string | null)[]): StepReply[] {
    return this.need(runId).pool.step(texts);
  }

  finish(runId: string): RolloutResults {
    const state = this.need(runId);
    const results = state.pool.finish();
    const req = state.request;
    if (req) {
      state.iteration++;
      const records = results.traces.map((trace, i) => {
        const episode = req.episodes[Math.floor(i / req.groupSize)];
        if (!episode) throw new Error(`sandbox: rollout ${i} has no episode`);
        const reward = results.rewards[i] as RolloutRecord['reward'];
        const outcome = classifyOutcome(trace, episode, state.preset.policy);
        return { index: i, group: Math.floor(i / req.groupSize), episode, trace, reward, outcome, rewardNote: rewardNote(outcome, reward, episode, state.preset) };
      });
      state.history = [{ iteration: state.iteration, records }, ...state.history].slice(0, KEPT_ITERATIONS);
    }
    state.request = null;
    return results;
  }

  /**
   * Rollout `index` of the batch in play once it ended (the page's live ticker), with the outcomes of all the batch's
   * rollouts ended so far (the live tally) and their metrics (the charts' point for the iteration in progress: short
   * rollouts, refusals first, end early, so it is provisional); once the batch was gathered, from the kept batch;
   * null before it ended.
   */
  live(runId: string, index: number): { latest: LiveRollout; tally: Record<Outcome, number>; partial: Metrics } | null {
    const state = this.need(runId);
    const { policy } = state.preset;
    const ended = state.pool.peek(index);
    if (!ended || !state.request) {
      // A short batch may end, and be gathered, before the page asks: its rollouts are then the newest kept batch.
      const batch = state.history[0]?.records;
      const record = batch?.[index];
      if (!batch || !record) return null;
      const partial = aggregateMetrics(batch, policy, state.preset.max);
      return { latest: liveRollout(index, record.episode, record.trace, policy), tally: partial.outcomes, partial };
    }
    const records: EpisodeRecord[] = [];
    for (let i = 0; i < state.request.episodes.length * state.request.groupSize; i++) {
      const other = state.pool.peek(i);
      if (!other) continue;
      let reward = state.liveRewards.get(i);
      if (!reward) state.liveRewards.set(i, (reward = state.preset.fn(other)));
      records.push({ ...other, reward });
    }
    const partial = aggregateMetrics(records, policy, state.preset.max);
    return { latest: liveRollout(index, ended.episode, ended.trace, policy), tally: partial.outcomes, partial };
  }

  /** Keeps the rollouts' numbering in step with the trainer's (a restored run, a new start); forgets older batches. */
  setIteration(runId: string, iteration: number): void {
    const state = this.need(runId);
    state.iteration = iteration;
    state.history = [];
  }

  private need(runId: string): PoolState {
    const state = this.pools.get(runId);
    if (!state) throw new Error(`sandbox: no reward set for run '${runId}'`);
    return state;
  }

  /** Announces every call of a custom reward to the watchdog, so a call that never returns can be stopped. */
  private guard(preset: RewardPreset, custom: boolean): RewardPreset {
    if (!custom) return preset;
    return {
      ...preset,
      fn: (input) => {
        this.watchdog({ phase: 'enter', limitMs: this.limitMs });
        try {
          return preset.fn(input);
        } finally {
          this.watchdog({ phase: 'leave' });
        }
      },
    };
  }
}
