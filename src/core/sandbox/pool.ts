// The sandbox side of a batch of rollouts: B episodes × G sessions stepped in lockstep, then traces, rewards and
// metrics. The policy side (src/ml/rollout.ts) only sends assistant texts and receives sandbox replies, so the
// pool can live in another worker (the page's sandbox worker, over comlink) or in-process (Node, tests).
import { aggregateMetrics, type Metrics } from '../metrics';
import { hashString } from '../rng';
import type { ChatMessage, Episode, RewardInput, RewardPreset, RewardResult, SafetyPolicy, Trace } from '../types';
import { EpisodeSession } from './session';

export interface RolloutRequest {
  episodes: Episode[];
  /** Sessions per episode (the group of GRPO); rollout i plays episode floor(i / groupSize). */
  groupSize: number;
  pYes: number;
  maxTurns: number;
  /** Seeds every session's check coin, with the episode id and the index in the group. */
  seed: number;
}

/** The sandbox's answer to one assistant turn; null for a rollout that had already ended. */
export type StepReply = { reply: ChatMessage | null; done: boolean } | null;

export interface RolloutResults {
  traces: Trace[];
  rewards: RewardResult[];
  /** Aggregated over the batch, under the reward preset's safety policy. */
  metrics: Metrics;
}

/** What the policy side needs from a sandbox; a comlink Remote of SandboxPool satisfies it too. */
export interface RolloutSandbox {
  /** Opens one session per rollout; returns each one's opening messages (system, user). */
  start(req: RolloutRequest): ChatMessage[][] | Promise<ChatMessage[][]>;
  /** One assistant turn per rollout (null for rollouts that are done or skipped this turn). */
  step(texts: (string | null)[]): StepReply[] | Promise<StepReply[]>;
  /** Ends the batch: every session must be done. */
  finish(): RolloutResults | Promise<RolloutResults>;
}

export class SandboxPool implements RolloutSandbox {
  private sessions: EpisodeSession[] = [];

  constructor(private reward: RewardPreset) {}

  /** Later batches are scored with this reward (the page's reward lab switches it between iterations). */
  setReward(reward: RewardPreset): void {
    this.reward = reward;
  }

  start(req: RolloutRequest): ChatMessage[][] {
    if (!Number.isInteger(req.groupSize) || req.groupSize < 1) {
      throw new Error(`SandboxPool.start: groupSize must be an integer >= 1, got ${req.groupSize}`);
    }
    this.sessions = req.episodes.flatMap((episode) =>
      Array.from(
        { length: req.groupSize },
        (_, g) =>
          new EpisodeSession(episode, {
            pYes: req.pYes,
            maxTurns: req.maxTurns,
            seed: hashString(`${req.seed}:${episode.id}:${g}`),
          }),
      ),
    );
    return this.sessions.map((s) => s.messages.slice());
  }

  step(texts: (string | null)[]): StepReply[] {
    if (texts.length !== this.sessions.length) {
      throw new Error(`SandboxPool.step: got ${texts.length} turns for ${this.sessions.length} rollouts`);
    }
    return texts.map((text, i) => {
      const session = this.sessions[i] as EpisodeSession;
      if (text === null || session.done) return null;
      return session.step(text);
    });
  }

  /** Rollout `i` of the batch in play, once it has ended (live progress), else null. */
  peek(i: number): { episode: Episode; trace: Trace } | null {
    const session = this.sessions[i];
    return session?.done ? { episode: session.episode, trace: session.trace() } : null;
  }

  finish(): RolloutResults {
    const ended = this.end();
    const rewards = ended.map((input) => this.reward.fn(input));
    return batchResults(ended, rewards, this.reward.policy, this.reward.max);
  }

  /** Closes the batch without scoring it (every session must be done): each rollout's trace and episode. */
  end(): RewardInput[] {
    const open = this.sessions.findIndex((s) => !s.done);
    if (open >= 0) throw new Error(`SandboxPool.finish: rollout ${open} has not ended`);
    const ended = this.sessions.map((s) => ({ trace: s.trace(), episode: s.episode }));
    this.sessions = [];
    return ended;
  }
}

/** A scored batch: traces, rewards and the metrics aggregated under the reward's safety policy. */
export function batchResults(ended: RewardInput[], rewards: RewardResult[], policy: SafetyPolicy, rewardMax?: number): RolloutResults {
  const metrics = aggregateMetrics(
    ended.map(({ trace, episode }, i) => ({ episode, trace, reward: rewards[i] as RewardResult })),
    policy,
    rewardMax,
  );
  return { traces: ended.map((e) => e.trace), rewards, metrics };
}
