// Worker threads holding replicas of the policy (src/ml/replicas.ts), so training uses every core in Node.
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter.js';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../ml/backend';
import type { LmConfig } from '../ml/model';
import type { Replica } from '../ml/replicas';
import type { TokenizerJson } from '../ml/tokenizer';

const WORKER = fileURLToPath(new URL('./replica-worker.ts', import.meta.url));

export interface ReplicaPool {
  replicas: Replica[];
  close(): Promise<void>;
}

/** Threads the training may use by default: every core (the main thread is one of them). */
export const defaultThreads = (): number => availableParallelism();

/**
 * Starts threads - 1 replicas of a model of `config`'s shape and its tokenizer on `backend` (the main thread's); each
 * is ready when this resolves.
 */
export async function openReplicas(threads: number, config: LmConfig, tokenizer: TokenizerJson, backend: BackendName): Promise<ReplicaPool> {
  const workers = await Promise.all(
    Array.from({ length: Math.max(0, threads - 1) }, async () => {
      // The worker is TypeScript, like the CLI: it registers tsx itself (a worker does not inherit `--import tsx`).
      const worker = new Worker(`import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(WORKER)});`, { eval: true, workerData: { config, tokenizer, backend } });
      await new Promise<void>((resolve, reject) => {
        const ready = (m: unknown): void => {
          if (m === 'ready') {
            worker.off('message', ready);
            resolve();
          }
        };
        worker.on('message', ready);
        worker.once('error', (e) => reject(new Error(`a policy replica failed to start: ${e.message}`)));
      });
      return worker;
    }),
  );
  return {
    replicas: workers.map((w) => Comlink.wrap<Replica>(nodeEndpoint(w as never)) as unknown as Replica),
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
