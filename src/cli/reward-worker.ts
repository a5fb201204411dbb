// The CLI's custom reward, inside a worker thread (src/cli/reward-isolate.ts starts it): the source runs in a
// node:vm context that holds only the language's own built-ins and the reward helpers, bundled into that context
// (no process, require, import, timers, eval or WebAssembly, and no object of this thread to climb out through).
// Every call runs under a time limit; the worker's heap limit bounds its memory. Only strings cross the boundary:
// each input goes in as a JSON string literal and each result comes back as a string built inside the context, and
// this side never touches an object the context made (its getters or proxy traps would run here, without a limit).
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../core/errors';
import { NO_FUNCTION, readRewardSource, threwWhileLoading } from '../core/reward/custom';

export interface RewardWorkerData {
  source: string;
  /** src/core/reward/lib.ts bundled as a script that defines `__asp.REWARD_LIB`. */
  lib: string;
  timeoutMs: number;
}

/** To the worker: a batch of inputs as JSON. From it: `ready`, a load error, or the outcomes up to the first failure. */
export type RewardRequest = { id: number; inputs: string[] };
export type RewardOutcome = { result: string } | { threw: string } | { timedOut: true };
export type RewardReply = { ready: true } | { loadError: string } | { id: number; outcomes: RewardOutcome[] };

const { source, lib, timeoutMs } = workerData as RewardWorkerData;
const port = parentPort;
if (!port) throw new Error('reward-worker runs only as a worker thread');

const context = vm.createContext(Object.create(null), {
  name: 'custom reward',
  codeGeneration: { strings: false, wasm: false },
  // Promise callbacks run inside runInContext, so under its time limit, not later on this thread.
  microtaskMode: 'afterEvaluate',
});
// A dynamic import() in the source rejects; nothing awaits it here, so it must not end the worker.
process.on('unhandledRejection', () => {});

/**
 * The glue, set up before any user code runs: it keeps the built-ins it needs, so a reward that replaces JSON or
 * String changes only its own results. `__load` and `__call` always return a string: 'ok', 'none' or 'T<message>';
 * 'R<json>' or 'T<message>'.
 */
const GLUE = `(() => {
  const stringify = JSON.stringify, parse = JSON.parse, Str = String, Err = Error;
  const lib = __asp.REWARD_LIB;
  const describe = (e) => { try { return e instanceof Err ? Str(e.message) : Str(e); } catch { return 'an unprintable value'; } };
  let reward = null;
  const fixed = (name, value) => Object.defineProperty(globalThis, name, { value, writable: false, configurable: false });
  fixed('__load', (factory) => {
    try { reward = factory(lib); } catch (e) { return 'T' + describe(e); }
    return typeof reward === 'function' ? 'ok' : 'none';
  });
  fixed('__call', (json) => {
    try {
      const text = stringify(reward(parse(json), lib) ?? null);
      return typeof text === 'string' ? 'R' + text : 'Rnull';
    } catch (e) { return 'T' + describe(e); }
  });
})();`;

const TIMED_OUT = Symbol('timed out');
const BROKEN = Symbol('broken');

/** Time for our own setup (the helpers and the glue), whatever the reward's own limit: none of it is user code. */
const SETUP_MS = 10_000;

/** Runs our own code in the context under a time limit; anything it throws is left untouched. */
function run(code: string, limitMs = timeoutMs): string | typeof TIMED_OUT | typeof BROKEN {
  const started = performance.now();
  try {
    const out: unknown = new vm.Script(code, { filename: 'custom reward' }).runInContext(context, { timeout: limitMs, displayErrors: false });
    return typeof out === 'string' ? out : BROKEN;
  } catch (e) {
    // Only a stack overflow in the reward's own error handling gets here, or the time limit: vm names the latter (on a
    // loaded machine its watchdog can fire a little before our own clock says the limit has passed).
    const timedOut = (e as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' || performance.now() - started >= limitMs;
    return timedOut ? TIMED_OUT : BROKEN;
  }
}

function load(): string | null {
  if (run(`${lib};\n${GLUE}\n'ok'`, SETUP_MS) !== 'ok') return 'custom reward: the reward helpers failed to load';
  let factory: unknown;
  try {
    // A function of `lib` compiled from the body alone, as new Function does in the page: the source cannot close it early.
    factory = readRewardSource(source, (body) => vm.compileFunction(body, ['lib'], { parsingContext: context }));
  } catch (e) {
    return errorMessage(e);
  }
  context.__factory = factory; // set before any user code has run, so no setter of theirs sees it
  const loaded = run('__load(__factory)');
  if (loaded === 'ok') return null;
  if (loaded === 'none') return NO_FUNCTION;
  if (loaded === TIMED_OUT) return `custom reward: loading the source took longer than ${timeoutMs} ms (an endless loop?)`;
  if (typeof loaded === 'string' && loaded.startsWith('T')) return threwWhileLoading(loaded.slice(1)).message;
  return 'custom reward: the source failed to load';
}

function call(json: string): RewardOutcome {
  const out = run(`__call(${JSON.stringify(json)})`);
  if (out === TIMED_OUT) return { timedOut: true };
  if (typeof out === 'string' && out.startsWith('R')) return { result: out.slice(1) };
  if (typeof out === 'string' && out.startsWith('T')) return { threw: out.slice(1) };
  return { threw: 'the reward broke its sandbox (a stack overflow?)' };
}

const loadError = load();
port.postMessage((loadError === null ? { ready: true } : { loadError }) satisfies RewardReply);
port.on('message', (req: RewardRequest) => {
  // The batch stops at its first failure: the caller reports that one.
  const outcomes: RewardOutcome[] = [];
  for (const json of req.inputs) {
    const outcome = call(json);
    outcomes.push(outcome);
    if (!('result' in outcome)) break;
  }
  port.postMessage({ id: req.id, outcomes } satisfies RewardReply);
});
