// Replicas of the policy in other threads (Node worker threads: the wasm backend runs single-threaded there, so the
// release run and the CLI would leave every other core idle). Each holds its own copy of the model and computes, for
// the weights it is sent, the gradients of its share of a cold-start step: data parallelism, the learner's half of
// verl's and IMPALA's actor-learner split. The thread side is ReplicaService; src/cli/replicas.ts starts the threads.
import type { LmConfig, NamedWeight } from './model';
import { TransformerLM } from './model';
import { chunkGradients } from './sft';
import type { TrainSequence } from './rollout';

/** What a step asks of a replica; a comlink Remote of ReplicaService satisfies it. */
export interface Replica {
  sftGradients(weights: NamedWeight[], chunk: TrainSequence[], total: number, contextWeight: number): Promise<{ grads: Float32Array[]; chosenLogProb: number }>;
}

/** The replica's side: a model of the run's shape whose weights each request replaces. */
export class ReplicaService implements Replica {
  private readonly model: TransformerLM;

  constructor(config: LmConfig) {
    this.model = new TransformerLM(config);
  }

  async sftGradients(weights: NamedWeight[], chunk: TrainSequence[], total: number, contextWeight: number): Promise<{ grads: Float32Array[]; chosenLogProb: number }> {
    this.model.setWeights(weights);
    const { grads, chosenLogProb } = await chunkGradients(this.model, chunk, total, contextWeight);
    const values = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
    grads.forEach((g) => g.dispose());
    return { grads: values, chosenLogProb };
  }
}
