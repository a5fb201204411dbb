// Runs kept in IndexedDB (config, metrics, latest checkpoint), so a run survives a reload. Keyed by the config's
// URL query: the same link resumes the same run.
import { createStore, del, get, set, update, type UseStore } from 'idb-keyval';
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
  /** The rollouts of the last iterations, newest first (absent in runs saved before they were kept). */
  rollouts?: { iteration: number; records: RolloutRecord[] }[];
  /** The latest state (null until the first checkpoint). */
  snapshot: RunSnapshot | null;
}

let store: UseStore | null = null;
const db = (): UseStore => (store ??= createStore('agent-safety-playground', 'runs'));

export const runKey = (query: string): string => `run:${query}`;

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
