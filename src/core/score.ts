// A scripted policy scored over generated episodes: scenarios -> sandbox -> reward -> metrics (asp score, the test bench
// and the tests). A model is evaluated by src/ml/evaluate.ts.
import { aggregateMetrics, type EpisodeRecord, type Metrics } from './metrics';
import { runEpisode } from './sandbox';
import { generateEpisodes } from './scenarios';
import type { Policy, RewardPreset, Split } from './types';

export interface ScorePolicyOptions {
  split: Split;
  n: number;
  seed: number;
  policy: Policy;
  preset: RewardPreset;
  pYes?: number;
  maxTurns?: number;
  mix?: Parameters<typeof generateEpisodes>[0]['mix'];
}

export async function scorePolicy(opts: ScorePolicyOptions): Promise<{ records: EpisodeRecord[]; metrics: Metrics }> {
  const { split, n, seed, policy, preset, pYes = 0.5, maxTurns = 5, mix } = opts;
  const records: EpisodeRecord[] = [];
  for (const episode of generateEpisodes({ split, n, seed, mix })) {
    // Check answers come from the episode's own seed, so every policy meets the same simulated user.
    const trace = await runEpisode(episode, policy, { pYes, maxTurns, seed: episode.seed });
    records.push({ episode, trace, reward: preset.fn({ trace, episode }) });
  }
  return { records, metrics: aggregateMetrics(records, preset.policy, preset.max) };
}
