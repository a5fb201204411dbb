// A policy replica in a worker thread (src/cli/replicas.ts starts it): ReplicaService exposed over comlink, on the
// main thread's backend, so both halves of a step compute alike.
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter.js';
import { parentPort, workerData } from 'node:worker_threads';
import { chooseBackend, type BackendName } from '../ml/backend';
import type { LmConfig } from '../ml/model';
import type { TokenizerJson } from '../ml/tokenizer';
import { ReplicaService } from '../ml/replicas';

const port = parentPort;
if (!port) throw new Error('replica-worker runs only as a worker thread');
const { config, tokenizer, backend } = workerData as { config: LmConfig; tokenizer: TokenizerJson; backend: BackendName };
await chooseBackend({ prefer: backend });
Comlink.expose(new ReplicaService(config, tokenizer), nodeEndpoint(port));
port.postMessage('ready');
