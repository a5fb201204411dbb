// Picks the fastest TensorFlow.js backend that actually starts, so one training code path runs everywhere:
// webgpu -> wasm -> webgl -> cpu in a browser or worker, wasm -> cpu in Node.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { errorMessage } from '../core/errors';

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

export interface BackendChoice {
  backend: BackendName;
  /** GPU vendor/architecture when the backend is webgpu and the browser tells. */
  adapter?: string;
  /** Backends tried before the chosen one, with why each did not start. */
  failed: { backend: BackendName; reason: string }[];
  /**
   * wasm only: the threads it computes on. More than 1 needs the threaded SIMD build, which browsers load only on a
   * cross-origin isolated page (SharedArrayBuffer); Node's wasm backend is single-threaded.
   */
  threads?: number;
}

export interface BackendOptions {
  /** Tried first; the usual order follows if it does not start. */
  prefer?: BackendName;
  /** Browser only: URL folder holding the tfjs-backend-wasm .wasm files (e.g. `${BASE_URL}wasm/`). */
  wasmBaseUrl?: string;
  /** wasm threads (default: as many as the browser has cores); takes effect only before wasm first starts. */
  wasmThreads?: number;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Sets the first backend that starts (the preferred one first) and says which, with the adapter for webgpu. */
export async function chooseBackend(opts: BackendOptions = {}): Promise<BackendChoice> {
  const order: BackendName[] = isNode ? ['wasm', 'cpu'] : [...BACKENDS];
  if (opts.prefer) order.splice(0, order.length, opts.prefer, ...order.filter((b) => b !== opts.prefer));
  // The .wasm files are fetched when the backend first starts, so their location must be set before.
  if (isNode) setWasmPaths(decodeURIComponent(new URL('./', import.meta.resolve('@tensorflow/tfjs-backend-wasm')).pathname));
  else if (opts.wasmBaseUrl) setWasmPaths(opts.wasmBaseUrl.endsWith('/') ? opts.wasmBaseUrl : `${opts.wasmBaseUrl}/`);
  const threads = isNode ? 1 : Math.min(MAX_WASM_THREADS, Math.max(1, opts.wasmThreads ?? navigator.hardwareConcurrency));
  if (!isNode) setThreadsCount(threads);

  const failed: BackendChoice['failed'] = [];
  for (const backend of order) {
    // Without an adapter, starting the webgpu backend only fails, and TensorFlow.js logs that as a warning.
    const reason =
      backend === 'webgpu' && !isNode && !(await hasWebGpuAdapter())
        ? 'no WebGPU adapter on this machine'
        : backend === 'wasm' && !isNode
          ? await withCoresSeen(2 * threads, () => trySetBackend(backend))
          : await trySetBackend(backend);
    if (reason === null) return { backend, ...adapterOf(backend), ...threadsOf(backend), failed };
    failed.push({ backend, reason });
  }
  throw new Error(`no TensorFlow.js backend started: ${failed.map((f) => `${f.backend} (${f.reason})`).join(', ')}`);
}

/** null when `backend` is now active, else why not. tf.setBackend resolves false (or throws) on failure. */
async function trySetBackend(backend: BackendName): Promise<string | null> {
  try {
    if (!(await tf.setBackend(backend))) return 'failed to initialise';
    await tf.ready();
    return tf.getBackend() === backend ? null : `active backend is ${tf.getBackend()}`;
  } catch (e) {
    return errorMessage(e);
  }
}

/** The threaded wasm build starts this many pthread workers, its most threads. */
const MAX_WASM_THREADS = 8;

/**
 * Runs `start` while navigator.hardwareConcurrency reads `cores`. The threaded wasm build caps its threads at half
 * the logical cores it sees when it starts (it assumes two hardware threads per core), which leaves a 2-core
 * laptop on one thread; showing it twice the requested threads lets setThreadsCount decide.
 */
async function withCoresSeen<T>(cores: number, start: () => Promise<T>): Promise<T> {
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: cores, configurable: true });
  try {
    return await start();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

function threadsOf(backend: BackendName): { threads?: number } {
  return backend === 'wasm' ? { threads: getThreadsCount() } : {};
}

function adapterOf(backend: BackendName): { adapter?: string } {
  if (backend !== 'webgpu') return {};
  // WebGPUBackend keeps the GPUAdapterInfo it was created with (fields private in the typings).
  const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  const adapter = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
  return adapter ? { adapter } : {};
}
