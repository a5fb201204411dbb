// Custom reward code in the CLI, isolated: a worker thread (src/cli/reward-worker.ts) runs it in a node:vm context
// with no ambient authority, a time limit per call and a heap limit. This thread stays free while it runs, so Ctrl-C
// is handled, and a reward that loops or eats memory ends its call with an error instead of the process.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { checkRewardResult, CUSTOM_DEFAULTS, REWARD_TIMEOUT_MS, threwOn } from '../core/reward/custom';
import { batchResults, SandboxPool, type RolloutSandbox } from '../core/sandbox/pool';
import type { RewardInput, RewardResult } from '../core/types';
import type { RewardReply, RewardRequest, RewardWorkerData } from './reward-worker';

export interface RewardLimits {
  /** Time limit of one call (and of loading the source), in ms. */
  timeoutMs: number;
  /** Heap limit of the worker, in MB. */
  memoryMb: number;
}

export const DEFAULT_REWARD_LIMITS: RewardLimits = { timeoutMs: REWARD_TIMEOUT_MS.default, memoryMb: 256 };

const WORKER = new URL('./reward-worker.ts', import.meta.url).href;

let bundled: string | null = null;

/** The reward helpers as one script for the context (bundled from source, so they are the page's own code). */
function libBundle(): string {
  if (bundled !== null) return bundled;
  const entry = fileURLToPath(new URL('../core/reward/lib.ts', import.meta.url));
  const out = buildSync({ entryPoints: [entry], bundle: true, format: 'iife', globalName: '__asp', platform: 'neutral', write: false });
  bundled = (out.outputFiles[0] as { text: string }).text;
  return bundled;
}

export class IsolatedReward {
  private pending = new Map<number, { resolve: (r: RewardReply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly limits: RewardLimits,
  ) {
    worker.on('message', (reply: RewardReply) => {
      if (!('id' in reply)) return;
      this.pending.get(reply.id)?.resolve(reply);
      this.pending.delete(reply.id);
    });
    worker.on('error', (e: Error & { code?: string }) => {
      this.fail(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new Error(`custom reward: ran out of memory (limit ${limits.memoryMb} MB); the run stopped`)
          : new Error(`custom reward: its sandbox failed: ${e.message}`),
      );
    });
    worker.on('exit', () => this.fail(new Error('custom reward: its sandbox stopped')));
  }

  /** Compiles the source in a fresh isolate; a syntax error or a source that throws while loading rejects with why. */
  static async open(source: string, limits: RewardLimits = DEFAULT_REWARD_LIMITS): Promise<IsolatedReward> {
    const data: RewardWorkerData = { source, lib: libBundle(), timeoutMs: limits.timeoutMs };
    // The worker is TypeScript, like the CLI: it registers tsx itself (a worker does not inherit `--import tsx`).
    const worker = new Worker(`import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(WORKER)});`, {
      eval: true,
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.min(32, limits.memoryMb) },
    });
    const first = await new Promise<RewardReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`it exited with code ${code}`)));
    }).catch((e: Error) => ({ loadError: `custom reward: its sandbox failed to start: ${e.message}` }));
    if ('loadError' in first) {
      await worker.terminate();
      throw new Error(first.loadError);
    }
    worker.unref(); // an idle sandbox never keeps the CLI running
    return new IsolatedReward(worker, limits);
  }

  /** Scores a batch; rejects naming the episode whose call threw, timed out or returned a wrong shape. */
  async score(inputs: RewardInput[]): Promise<RewardResult[]> {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const request: RewardRequest = { id, inputs: inputs.map((input) => JSON.stringify(input)) };
    const reply = await new Promise<RewardReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request);
    }).finally(() => this.worker.unref());
    if (!('outcomes' in reply)) throw new Error('custom reward: its sandbox answered out of turn');
    return inputs.map((input, i) => {
      const outcome = reply.outcomes[i];
      const episodeId = input.trace.episodeId;
      if (!outcome) throw new Error(`custom reward: its sandbox gave no result for episode ${episodeId}`);
      if ('timedOut' in outcome) {
        throw new Error(`custom reward: a call took longer than ${this.limits.timeoutMs} ms on episode ${episodeId} (an endless loop?)`);
      }
      if ('threw' in outcome) throw threwOn(episodeId, outcome.threw);
      return checkRewardResult(JSON.parse(outcome.result), episodeId);
    });
  }

  /** Ends the isolate now (Ctrl-C, or done): a call in flight rejects with `reason`. */
  async close(reason = 'custom reward: its sandbox was closed'): Promise<void> {
    this.fail(new Error(reason));
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

/** The in-process sandbox for rollouts, with its rewards scored by an isolated custom reward. */
export class IsolatedRewardSandbox implements RolloutSandbox {
  private readonly pool: SandboxPool;

  constructor(readonly reward: IsolatedReward) {
    // Scoring goes through finish() below; the pool only plays the episodes.
    this.pool = new SandboxPool({ ...CUSTOM_DEFAULTS, fn: () => { throw new Error('unreachable: scored in isolation'); } });
  }

  start(...args: Parameters<SandboxPool['start']>) {
    return this.pool.start(...args);
  }

  step(texts: (string | null)[]) {
    return this.pool.step(texts);
  }

  async finish() {
    const ended = this.pool.end();
    return batchResults(ended, await this.reward.score(ended), CUSTOM_DEFAULTS.policy);
  }
}
