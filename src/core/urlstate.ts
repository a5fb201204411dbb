// The page's whole state in its URL, so a link reproduces a run: every config field that differs from the default
// as a dotted key (`grpo.groupSize=4`), plus a few page options. Pure: no DOM (takes and returns query strings).
import { DEFAULT_RUN_CONFIG, parseRunConfig, type RunConfig } from './config';
import { errorMessage } from './errors';
import { REWARD_TIMEOUT_MS } from './reward/custom';
import { isJsonObject } from './types';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'wasm', 'webgl', 'cpu'] as const;
export type BackendChoiceName = (typeof BACKEND_CHOICES)[number];
export const START_CHOICES = ['base', 'aligned', 'scratch'] as const;
type StartChoice = (typeof START_CHOICES)[number];
const TABS = ['train', 'compare', 'rollouts', 'reward', 'settings', 'benchmarks'] as const;
export type Tab = (typeof TABS)[number];

export interface PageOptions {
  /** Backend tried first ('auto': webgpu -> wasm -> webgl -> cpu). */
  backend: BackendChoiceName;
  /** Start from a shipped checkpoint (base: cold-started; aligned: already trained with GRPO) or pretrain from scratch. */
  start: StartChoice;
  tab: Tab;
  /** Limit of one custom reward call in the sandbox worker, in milliseconds. */
  rewardTimeoutMs: number;
  /** wasm threads; 0: one per core (threads need a cross-origin isolated page). 1 measures the single-threaded speed. */
  threads: number;
}

export const DEFAULT_PAGE_OPTIONS: PageOptions = { backend: 'auto', start: 'base', tab: 'train', rewardTimeoutMs: REWARD_TIMEOUT_MS.default, threads: 0 };

export interface UrlState {
  config: RunConfig;
  page: PageOptions;
}

const MIX_KEYS = Object.keys(DEFAULT_RUN_CONFIG.mix) as (keyof RunConfig['mix'])[];

/** Every leaf of the config that differs from the default, as [dotted key, value]. */
function diffLeaves(value: unknown, base: unknown, prefix: string, out: [string, string][]): void {
  if (isJsonObject(value)) {
    const baseObj = (typeof base === 'object' && base !== null ? base : {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) diffLeaves(v, baseObj[k], prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (value !== undefined && value !== base) out.push([prefix, String(value)]);
}

/** The query string (without '?') of a state: only what differs from the defaults, so links stay short. */
export function encodeUrlState(state: UrlState): string {
  const leaves: [string, string][] = [];
  const { mix, ...rest } = state.config;
  diffLeaves(rest, DEFAULT_RUN_CONFIG, '', leaves);
  // A mix is listed whole where it differs at all: a link's mix weighs the kinds it leaves out 0.
  if (MIX_KEYS.some((k) => mix[k] !== DEFAULT_RUN_CONFIG.mix[k])) for (const k of MIX_KEYS) leaves.push([`mix.${k}`, String(mix[k])]);
  const params = new URLSearchParams(leaves);
  for (const key of Object.keys(DEFAULT_PAGE_OPTIONS) as (keyof PageOptions)[]) {
    if (state.page[key] !== DEFAULT_PAGE_OPTIONS[key]) params.set(key, String(state.page[key]));
  }
  return params.toString();
}

/** The default at a dotted path. */
function defaultAt(path: string[]): unknown {
  let at: unknown = DEFAULT_RUN_CONFIG;
  for (const k of path) {
    if (typeof at !== 'object' || at === null || !Object.prototype.hasOwnProperty.call(at, k)) return undefined;
    at = (at as Record<string, unknown>)[k];
  }
  return at;
}

function oneOf<T extends string>(key: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`URL: ${key}=${value} is not one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * Named bundles of settings a link can start from (`?preset=demo`); settings also in the link win. The page then
 * shows the expanded settings in its address, so the run is keyed by them as any other.
 * demo: from the shipped base, short fast iterations (6 episodes x 4 rollouts, 3 turns, lr 1e-3, the recipe's KL term)
 * on the decision it learns fastest: benign, malicious and sensitive requests, one in three each, the settings
 * tests/ml/grpo-learns.test.ts proves on (the README gives what npm run demo:timing measured of them in the page).
 */
const PRESETS = {
  demo: {
    'grpo.episodesPerIteration': '6',
    'grpo.groupSize': '4',
    'grpo.learningRate': '0.001',
    maxTurns: '3',
    'mix.benignUser': '1',
    'mix.maliciousUser': '1',
    'mix.sensitiveUser': '1',
    'grpo.iterations': '200',
  },
} as const satisfies Record<string, Record<string, string>>;
type PresetName = keyof typeof PRESETS;

/**
 * Reads a query string back. Unknown keys, non-numbers in numeric fields and invalid configs throw an Error naming
 * the key. `customReward` is returned inside the config like any field: the page decides whether to run it.
 */
export function decodeUrlState(query: string): UrlState {
  const given = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const preset = given.get('preset');
  given.delete('preset');
  const params = new URLSearchParams(preset === null ? {} : PRESETS[oneOf('preset', preset, Object.keys(PRESETS) as PresetName[])]);
  for (const [key, value] of given) params.set(key, value);
  const partial: Record<string, unknown> = {};
  const page: PageOptions = { ...DEFAULT_PAGE_OPTIONS };
  for (const [key, raw] of params) {
    if (key === 'backend') page.backend = oneOf(key, raw, BACKEND_CHOICES);
    else if (key === 'start') page.start = oneOf(key, raw, START_CHOICES);
    else if (key === 'tab') page.tab = oneOf(key, raw, TABS);
    else if (key === 'rewardTimeoutMs') page.rewardTimeoutMs = timeoutOf(key, raw);
    else if (key === 'threads') page.threads = threadsOf(raw);
    else if (key === 'customReward') partial.customReward = raw;
    else {
      const path = key.split('.');
      const def = defaultAt(path);
      if (def === undefined || (typeof def === 'object' && def !== null)) throw new Error(`URL: unknown setting ${key}`);
      setPath(partial, path, typeof def === 'number' ? numberOf(key, raw) : raw);
    }
  }
  if (partial.mix) partial.mix = { ...Object.fromEntries(MIX_KEYS.map((k) => [k, 0])), ...(partial.mix as object) };
  let config: RunConfig;
  try {
    config = parseRunConfig(partial);
  } catch (e) {
    throw new Error(`URL: ${errorMessage(e)}`);
  }
  return { config, page };
}

function threadsOf(raw: string): number {
  const n = numberOf('threads', raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`URL: threads=${raw} must be a whole number >= 0 (0: one per core)`);
  return n;
}

function numberOf(key: string, raw: string): number {
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n)) throw new Error(`URL: ${key}=${raw} is not a number`);
  return n;
}

function timeoutOf(key: string, raw: string): number {
  const n = numberOf(key, raw);
  const { min, max } = REWARD_TIMEOUT_MS;
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`URL: ${key}=${raw} must be a whole number of ms from ${min} to ${max}`);
  return n;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let at = target;
  for (const k of path.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[path[path.length - 1] as string] = value;
}
