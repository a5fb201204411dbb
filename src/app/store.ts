// Runs kept in IndexedDB (config, metrics, latest checkpoint), so a run survives a reload. Keyed by the config's
// URL query: the same link resumes the same run.
import { createStore, del, delMany, get, getMany, keys, set, setMany, update, type UseStore } from 'idb-keyval';
import type { IterationMetrics } from '../ml/grpo';
import type { RolloutRecord } from './outcome';
import type { SftProgress } from '../ml/run';
import type { RunSnapshot } from './trainer-service';

export interface SavedRun {
  /** The config part of the URL query ('' for the defaults). */
  query: string;
  savedAt: number;
  /** Where the weights first came from. */
  source: string;
  sft: SftProgress[];
  metrics: IterationMetrics[];
  /** The latest state (null until the first checkpoint). */
  snapshot: RunSnapshot | null;
}

let store: UseStore | null = null;
const db = (): UseStore => (store ??= createStore('agent-safety-playground', 'runs'));

const runKey = (query: string): string => `run:${query}`;

export async function loadRun(query: string): Promise<SavedRun | undefined> {
  return get<SavedRun>(runKey(query), db());
}

/** A line of the list of saved runs (kept apart from the runs, so listing them does not load their weights). */
export interface RunSummary {
  query: string;
  savedAt: number;
  source: string;
  iterations: number;
}

const INDEX_KEY = 'index';

export async function saveRun(run: SavedRun): Promise<void> {
  await set(runKey(run.query), run, db());
  const summary: RunSummary = { query: run.query, savedAt: run.savedAt, source: run.source, iterations: run.metrics.at(-1)?.iteration ?? 0 };
  await update<Record<string, RunSummary>>(INDEX_KEY, (index) => ({ ...(index ?? {}), [run.query]: summary }), db());
}

export async function deleteRun(query: string): Promise<void> {
  await del(runKey(query), db());
  await delMany(await batchKeys(query), db());
  await update<Record<string, RunSummary>>(INDEX_KEY, (index) => {
    const { [query]: _gone, ...rest } = index ?? {};
    return rest;
  }, db());
}

/** Saved runs, the most recent first. */
export async function listRuns(): Promise<RunSummary[]> {
  const index = (await get<Record<string, RunSummary>>(INDEX_KEY, db())) ?? {};
  return Object.values(index).sort((a, b) => b.savedAt - a.savedAt);
}

/** The rollouts of one iteration, as the Rollouts view shows them. */
export interface RolloutBatch {
  iteration: number;
  records: RolloutRecord[];
}

// Each iteration's rollouts under a key of their own (a few hundred kB each with their worlds), so saving after an
// iteration writes only the new batch, not every kept one again. URLSearchParams escapes ':' in a query.
const batchKey = (query: string, iteration: number): string => `rollouts:${query}:${iteration}`;

async function batchKeys(query: string): Promise<string[]> {
  const prefix = `rollouts:${query}:`;
  return (await keys(db())).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
}

/** Keeps exactly `batches` for the run: writes the ones not saved yet, deletes the ones no longer kept. */
export async function saveRolloutBatches(query: string, batches: readonly RolloutBatch[]): Promise<void> {
  const saved = await batchKeys(query);
  const kept = new Set(batches.map((b) => batchKey(query, b.iteration)));
  const fresh = batches.filter((b) => !saved.includes(batchKey(query, b.iteration)));
  if (fresh.length > 0) await setMany(fresh.map((b) => [batchKey(query, b.iteration), b]), db());
  const gone = saved.filter((k) => !kept.has(k));
  if (gone.length > 0) await delMany(gone, db());
}

/** The run's kept rollouts, newest first. */
export async function loadRolloutBatches(query: string): Promise<RolloutBatch[]> {
  const batches = await getMany<RolloutBatch | undefined>(await batchKeys(query), db());
  return batches.filter((b): b is RolloutBatch => b !== undefined).sort((a, b) => b.iteration - a.iteration);
}
