// A training run, step by step: tokenizer -> base model (supervised cold start) -> GRPO against the sandbox.
// The CLI drives it in a loop; the page's trainer worker drives it one step at a time (pause, resume, single step).
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../core/config';
import { priorPolicy } from '../core/policies';
import { renderConversation } from '../core/protocol';
import { getRewardForConfig } from '../core/reward';
import { runEpisode } from '../core/sandbox';
import { SandboxPool, type RolloutSandbox } from '../core/sandbox/pool';
import { catalogTools, generateEpisodes } from '../core/scenarios';
import type { ChatMessage, Policy, ToolSpec } from '../core/types';
import type { RunProgress } from './checkpoint';
import { GrpoTrainer, type EpisodeSource, type GrpoHooks, type IterationMetrics } from './grpo';
import { adamState, restoreAdam } from './adam-state';
import { TransformerLM, type NamedWeight } from './model';
import { fitContext, type TrainSequence } from './rollout';
import type { Replica } from './replicas';
import { encodeConversation, sftLearningRate, sftStep } from './sft';
import { trainTokenizer, type Tokenizer } from './tokenizer';

/** Cold-start transcripts: the prior policy played through the sandbox on train episodes, with each episode's tools. */
function priorTranscripts(config: RunConfig, seed: number, n: number): Promise<{ messages: ChatMessage[]; tools: ToolSpec[] }[]> {
  return playedTranscripts(priorPolicy(config.sft.prior, seed), config, seed, n);
}

/** A policy played through the sandbox on n train episodes of the config's mix (with word dropout, as the cold start's). */
export async function playedTranscripts(
  policy: Policy,
  config: RunConfig,
  seed: number,
  n: number,
): Promise<{ messages: ChatMessage[]; tools: ToolSpec[] }[]> {
  const episodes = generateEpisodes({ split: 'train', n, seed, mix: config.mix, wordDropout: true });
  const out: { messages: ChatMessage[]; tools: ToolSpec[] }[] = [];
  for (const episode of episodes) {
    const trace = await runEpisode(episode, policy, { pYes: config.pYes, maxTurns: config.maxTurns, seed: episode.seed });
    out.push({ messages: trace.messages, tools: episode.tools });
  }
  return out;
}

/** Transcripts as cold-start sequences: each assistant turn scored under the config's decoding, cut to the context. */
export function encodeTranscripts(
  tokenizer: Tokenizer,
  config: RunConfig,
  contextLength: number,
  transcripts: readonly { messages: ChatMessage[]; tools: ToolSpec[] }[],
): TrainSequence[] {
  return transcripts.map((t) => {
    const scoring = { decoding: config.decoding, tools: t.tools, budget: config.grpo.maxNewTokens };
    return fitContext(encodeConversation(tokenizer, t.messages, scoring), contextLength);
  });
}

/** A tokenizer learned from train-split transcripts and the train tools' names (test tools fall back to bytes). */
async function buildTokenizer(config: RunConfig): Promise<Tokenizer> {
  const transcripts = await priorTranscripts(config, config.seed * 31 + 7, 600);
  const corpus = [
    ...transcripts.map((t) => renderConversation(t.messages)),
    ...catalogTools('train').map((t: { name: string; description: string }) => `${t.name} ${t.description}`),
  ];
  return trainTokenizer(corpus, { vocabSize: config.model.vocabSize });
}

const SFT_BUCKETS = 4;

export interface SftProgress {
  step: number;
  loss: number;
  tokensPerSecond: number;
}

/** GRPO's training episodes: fresh train-split scenarios every iteration, seeded by the run. */
export function trainEpisodes(config: RunConfig): EpisodeSource {
  return (iteration) =>
    generateEpisodes({
      split: 'train',
      n: config.grpo.episodesPerIteration,
      seed: config.seed * 100_003 + iteration,
      mix: config.mix,
    });
}

export class TrainingRun {
  private sftOptimizer: tf.Optimizer | null = null;
  private grpo: GrpoTrainer | null = null;
  sftStepsDone: number;
  /** The current round of length-bucketed cold-start batches (see transcriptBatch). */
  private bucketed: { round: number; sequences: TrainSequence[] } | null = null;
  /** Replicas of the policy in other threads that share cold-start steps and GRPO rollouts (Node; see ./replicas.ts). */
  replicas: readonly Replica[] = [];

  readonly config: RunConfig;

  /**
   * `reference` is the frozen base of the KL term; a run resumed inside GRPO passes the saved base,
   * a run still in (or before) GRPO's start gets a copy of the policy when GRPO begins. `sandbox` plays and
   * scores the rollouts (in the page, the sandbox worker; by default in-process with the config's reward).
   */
  constructor(
    config: RunConfig,
    readonly tokenizer: Tokenizer,
    readonly policy: TransformerLM,
    progress: RunProgress = { sftStepsDone: 0, grpoIterationsDone: 0 },
    reference: TransformerLM | null = null,
    readonly sandbox: RolloutSandbox = new SandboxPool(getRewardForConfig(config)),
  ) {
    // The policy's own position scheme is recorded: a checkpoint made before ALiBi has none in its config.
    this.config = config = { ...config, model: { ...config.model, positions: policy.config.positions ?? 'learned' } };
    this.sftStepsDone = progress.sftStepsDone;
    if (reference) {
      this.grpo = new GrpoTrainer(policy, reference, tokenizer, sandbox, config, trainEpisodes(config));
      this.grpo.iteration = progress.grpoIterationsDone;
    }
  }

  get progress(): RunProgress {
    return { sftStepsDone: this.sftStepsDone, grpoIterationsDone: this.grpoIterationsDone };
  }

  /** The frozen base once GRPO has begun. */
  get reference(): TransformerLM | null {
    return this.grpo?.reference ?? null;
  }

  /** A fresh run: learns the tokenizer and initialises the model from the config's seed. */
  static async create(config: RunConfig, sandbox?: RolloutSandbox): Promise<TrainingRun> {
    const tokenizer = await buildTokenizer(config);
    const model = new TransformerLM({ ...config.model, vocabSize: tokenizer.vocabSize, seed: config.seed });
    return new TrainingRun(config, tokenizer, model, undefined, null, sandbox);
  }

  /** One supervised step on a fresh batch of prior transcripts. */
  async sftStep(): Promise<SftProgress> {
    const { sft } = this.config;
    this.sftOptimizer ??= tf.train.adam(sft.learningRate);
    // tf.js's Adam reads its (protected) learningRate at every update: the schedule sets it before each step.
    (this.sftOptimizer as unknown as { learningRate: number }).learningRate = sftLearningRate(sft, this.sftStepsDone);
    const started = performance.now();
    const batch = await this.transcriptBatch(this.sftStepsDone);
    const loss = await sftStep(this.policy, this.sftOptimizer, batch, sft.maxGradNorm, sft.contextWeight, this.replicas);
    this.sftStepsDone++;
    const tokens = batch.reduce((a, b) => a + b.ids.length, 0);
    return { step: this.sftStepsDone, loss, tokensPerSecond: tokens / ((performance.now() - started) / 1000) };
  }

  /** The state of the phase's optimizer (cold start or GRPO), saved with a resumable checkpoint; empty before its first update. */
  async optimizerState(): Promise<NamedWeight[]> {
    const optimizer = this.grpo?.optimizer ?? this.sftOptimizer;
    return optimizer ? adamState(optimizer, this.policy.config) : [];
  }

  /**
   * A saved run rebuilt where it stopped (CLI --resume, the page's reload): its phase's optimizer continues from the
   * saved state, so it steps as the run would have gone on. A state that does not fit the model frees the run and throws.
   */
  static async resume(
    saved: { config: RunConfig; progress: RunProgress; optimizer: readonly NamedWeight[] },
    tokenizer: Tokenizer,
    policy: TransformerLM,
    reference: TransformerLM | null,
    sandbox?: RolloutSandbox,
  ): Promise<TrainingRun> {
    const run = new TrainingRun(saved.config, tokenizer, policy, saved.progress, reference, sandbox);
    try {
      if (saved.optimizer.length > 0) {
        if (!run.grpo) run.sftOptimizer ??= tf.train.adam(saved.config.sft.learningRate);
        await restoreAdam(run.grpo?.optimizer ?? (run.sftOptimizer as tf.Optimizer), saved.optimizer, policy.config);
      }
    } catch (e) {
      run.dispose();
      throw e;
    }
    return run;
  }

  /** The batch of the i-th transcript step. */
  private async transcriptBatch(i: number): Promise<TrainSequence[]> {
    const { sft } = this.config;
    // Length buckets: SFT_BUCKETS batches are drawn together and sorted by length, and each step takes one, so a
    // batch pads to similar lengths (about a third fewer wasted tokens). Stateless, so a resumed run continues alike.
    const round = Math.floor(i / SFT_BUCKETS);
    if (this.bucketed?.round !== round) this.bucketed = { round, sequences: await this.roundSequences(round) };
    const k = i % SFT_BUCKETS;
    return this.bucketed.sequences.slice(k * sft.batchSize, (k + 1) * sft.batchSize);
  }

  /** The transcripts of one round of buckets, encoded and sorted by length (kept for the round's steps). */
  private async roundSequences(round: number): Promise<TrainSequence[]> {
    const { sft, seed } = this.config;
    const transcripts = await priorTranscripts(this.config, seed * 1_000_003 + round, sft.batchSize * SFT_BUCKETS);
    return encodeTranscripts(this.tokenizer, this.config, this.policy.config.contextLength, transcripts).sort((a, b) => a.ids.length - b.ids.length);
  }

  /** One GRPO iteration; the reference (frozen base) is the policy as it was when GRPO began. */
  async grpoStep(hooks?: GrpoHooks): Promise<IterationMetrics> {
    this.startGrpo();
    const grpo = this.grpo as GrpoTrainer;
    grpo.replicas = this.replicas;
    return grpo.step(hooks);
  }

  get grpoIterationsDone(): number {
    return this.grpo?.iteration ?? 0;
  }

  /** Begins GRPO: the reference becomes a frozen copy of the policy as it is now. */
  startGrpo(): void {
    if (this.grpo) return;
    this.sftOptimizer?.dispose();
    this.sftOptimizer = null;
    this.bucketed = null;
    this.grpo = new GrpoTrainer(this.policy, this.policy.clone(), this.tokenizer, this.sandbox, this.config, trainEpisodes(this.config));
  }

  dispose(): void {
    this.sftOptimizer?.dispose();
    this.grpo?.reference.dispose();
    this.grpo?.dispose();
    this.policy.dispose();
  }
}
