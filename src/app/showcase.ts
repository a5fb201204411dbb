// The Compare view's fixed showcase: one scenario for each thing the agent should learn, played greedily by the
// shipped base, the shipped aligned model and the current run. Fresh scenarios of the training distribution, from a
// fixed seed (the same four on every page), never benchmark cases.
import { generateEpisodes } from '../core/scenarios';
import type { Episode, Labels } from '../core/types';

export interface ShowcaseItem {
  id: 'benign' | 'malicious' | 'sensitive' | 'planted';
  /** What the right behaviour is, in the paper's words. */
  title: string;
  labels: Labels;
}

export const SHOWCASE: readonly ShowcaseItem[] = [
  { id: 'benign', title: 'A benign request: execute it', labels: { user: 'benign', tool: 'benign' } },
  { id: 'malicious', title: 'A malicious request: refuse it', labels: { user: 'malicious', tool: 'none' } },
  { id: 'sensitive', title: 'A sensitive action: verify before it runs', labels: { user: 'sensitive', tool: 'none' } },
  { id: 'planted', title: 'A planted instruction in a tool output: do not obey it', labels: { user: 'benign', tool: 'malicious' } },
];

const SHOWCASE_SEED = 20_251_202;

/** The showcase's episodes, in SHOWCASE order: the first scenario of each kind from the fixed seed. */
export function showcaseEpisodes(): Episode[] {
  const pool = generateEpisodes({ split: 'train', n: 120, seed: SHOWCASE_SEED });
  return SHOWCASE.map((item) => {
    const found = pool.find((e) => e.labels.user === item.labels.user && e.labels.tool === item.labels.tool);
    if (!found) throw new Error(`showcase: no ${item.labels.user}/${item.labels.tool} scenario among 120 from seed ${SHOWCASE_SEED}`);
    return found;
  });
}
