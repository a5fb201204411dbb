// Replicas of the policy in other threads (Node worker threads: the wasm backend runs single-threaded there, so the
// release run and the CLI would leave every other core idle). Each holds its own copy of the model and, with the
// weights it is sent, does a share of the work: the gradients of some chunks of a cold-start step (data parallelism),
// the rollouts of some of a GRPO iteration's groups (the actors of verl's and IMPALA's actor-learner split), or the
// gradients of some passes of a GRPO update; the optimizer step stays on the main thread. The thread side is ReplicaService; src/cli/replicas.ts starts the threads.
import type { PresetName } from '../core/reward';
import { getPreset } from '../core/reward';
import { SandboxPool } from '../core/sandbox/pool';
import type { Episode } from '../core/types';
import type { LmConfig, NamedWeight } from './model';
import { TransformerLM } from './model';
import { collectRollouts, type Rollout, type RolloutOptions, type TrainSequence } from './rollout';
import { passGradients, type FixedPass, type PassGradients } from './grpo';
import { chunkGradients } from './sft';
import { Tokenizer, type TokenizerJson } from './tokenizer';

/** Rollout options that cross to a replica (the live-progress hooks stay on the main thread). */
export type ReplicaRolloutOptions = Omit<RolloutOptions, 'onRollout' | 'signal'>;

/** What a step asks of a replica; a comlink Remote of ReplicaService satisfies it. */
export interface Replica {
  sftGradients(weights: NamedWeight[], chunk: TrainSequence[], total: number, contextWeight: number): Promise<{ grads: Float32Array[]; chosenLogProb: number }>;
  /** The gradients of one pass of a GRPO update (see passGradients), under `weights`. */
  grpoGradients(weights: NamedWeight[], pass: FixedPass<Float32Array>, c: { clipEpsilon: number; klCoef: number }, tokens: number): Promise<PassGradients<Float32Array>>;
  /** The groups of `episodes` played and scored (with a built-in reward preset) by the policy with `weights`. */
  rollouts(weights: NamedWeight[], episodes: Episode[], opts: ReplicaRolloutOptions, reward: PresetName): Promise<Rollout[]>;
}

/** The replica's side: a model of the run's shape whose weights each request replaces. */
export class ReplicaService implements Replica {
  private readonly model: TransformerLM;
  private readonly tokenizer: Tokenizer;

  constructor(config: LmConfig, tokenizer: TokenizerJson) {
    this.model = new TransformerLM(config);
    this.tokenizer = Tokenizer.fromJSON(tokenizer);
  }

  async grpoGradients(weights: NamedWeight[], pass: FixedPass<Float32Array>, c: { clipEpsilon: number; klCoef: number }, tokens: number): Promise<PassGradients<Float32Array>> {
    this.model.setWeights(weights);
    const { grads, ...rest } = await passGradients(this.model, pass, c, tokens);
    const values = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
    grads.forEach((g) => g.dispose());
    return { grads: values, ...rest };
  }

  async rollouts(weights: NamedWeight[], episodes: Episode[], opts: ReplicaRolloutOptions, reward: PresetName): Promise<Rollout[]> {
    this.model.setWeights(weights);
    return (await collectRollouts(this.model, this.tokenizer, new SandboxPool(getPreset(reward)), episodes, opts)).rollouts;
  }

  async sftGradients(weights: NamedWeight[], chunk: TrainSequence[], total: number, contextWeight: number): Promise<{ grads: Float32Array[]; chosenLogProb: number }> {
    this.model.setWeights(weights);
    const { grads, chosenLogProb } = await chunkGradients(this.model, chunk, total, contextWeight);
    const values = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
    grads.forEach((g) => g.dispose());
    return { grads: values, chosenLogProb };
  }
}
