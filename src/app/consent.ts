// Consent for custom reward code that came with a link. The page runs such code only after the user accepted that
// exact text in this tab: remembered by the full text (a short hash would let a colliding payload through), and
// checked on every path that runs code (the run's reward, the test bench, A/B, "Train with this reward").
import type { RunConfig } from '../core/config';

const KEY = 'asp-accepted-reward-code';

type Store = Pick<Storage, 'getItem' | 'setItem'>;

function accepted(store: Store): string[] {
  try {
    const list: unknown = JSON.parse(store.getItem(KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

/** Marks reward source as the user's own (typed here or explicitly accepted), so it runs without asking again. */
export function acceptCode(source: string, store: Store = sessionStorage): void {
  store.setItem(KEY, JSON.stringify([...new Set([...accepted(store), source])]));
}

export function isAccepted(source: string, store: Store = sessionStorage): boolean {
  return accepted(store).includes(source);
}

/** The code a link carries, whatever reward it names: it is shown before anything else happens. */
export function linkCode(config: Pick<RunConfig, 'customReward'>): string | null {
  return config.customReward ?? null;
}

/** Throws unless `spec` runs no code from the link that the user has not accepted. */
export function assertConsented(
  spec: Pick<RunConfig, 'reward' | 'customReward'>,
  link: string | null,
  store: Store = sessionStorage,
): void {
  if (spec.reward !== 'custom' || link === null || spec.customReward !== link || isAccepted(link, store)) return;
  throw new Error('custom reward: this code came with the link and runs only once you accept it (see the banner above)');
}
