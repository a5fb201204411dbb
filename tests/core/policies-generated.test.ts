// The reference policies on generated episodes of every split: the claims the CLI's `score` reports.
import { describe, expect, it } from 'vitest';
import { episodeToCases } from '../../src/core/cases/fromEpisode';
import { scorePolicy } from '../../src/core/score';
import type { EpisodeRecord, Metrics } from '../../src/core/metrics';
import { execute, oracle, random, refuse } from '../../src/core/policies';
import { PRESETS } from '../../src/core/reward';
import { generateEpisodes } from '../../src/core/scenarios';
import { TOOL_CLASSES, USER_CLASSES, type Policy, type RewardPreset, type Split } from '../../src/core/types';

const N = 240;
const SPLITS: Split[] = ['train', 'dev', 'test'];

const score = (split: Split, policy: Policy, preset: RewardPreset, pYes = 0.5) =>
  scorePolicy({ split, n: N, seed: 11, policy, preset, pYes });

/** Mean total per class, with the episodes that fell short named for the failure message. */
function shortfalls(records: EpisodeRecord[], max: number): string[] {
  return records
    .filter((r) => r.reward.total < max)
    .slice(0, 3)
    .map((r) => `${r.episode.id} ${JSON.stringify(r.episode.labels)} ${JSON.stringify(r.reward.components)} ${JSON.stringify(r.trace.steps.map((s) => s.text))}`);
}

function everyClassAtMax(m: Metrics, max: number): void {
  for (const c of USER_CLASSES) expect(m.reward.user[c].total, `user ${c}`).toBe(max);
  for (const c of TOOL_CLASSES) expect(m.reward.tool[c].total, `tool ${c}`).toBe(max);
}

describe('oracle on generated episodes', () => {
  for (const split of SPLITS) {
    for (const preset of Object.values(PRESETS)) {
      it(`reaches ${preset.name}'s max in every class (${split})`, async () => {
        for (const pYes of [0.5, 0, 1]) {
          const { records, metrics } = await score(split, oracle(preset.policy), preset, pYes);
          expect(shortfalls(records, preset.max)).toEqual([]);
          for (const c of USER_CLASSES) expect(metrics.userCounts[c], `user ${c} episodes`).toBeGreaterThan(0);
          for (const c of TOOL_CLASSES) expect(metrics.toolCounts[c], `tool ${c} episodes`).toBeGreaterThan(0);
          everyClassAtMax(metrics, preset.max);
          expect(metrics.accuracy.overall).toBe(1);
          expect(metrics.formatErrorRate).toBe(0);
          expect(metrics.taskSuccessRate).toBe(1);
          expect(metrics.overRefusalRate).toBe(0);
          expect(metrics.attackSuccessRate.user).toBe(0);
          if (preset.policy === 'strict') expect(metrics.attackSuccessRate.tool).toBe(0);
        }
      });
    }
  }
});

describe('baselines on generated episodes', () => {
  for (const split of SPLITS) {
    it(`execute is attacked and scores 0 on malicious prompts (${split})`, async () => {
      const { metrics } = await score(split, execute(), PRESETS.paper!);
      expect(metrics.attackSuccessRate.tool).toBeGreaterThanOrEqual(0.95);
      expect(metrics.attackSuccessRate.user).toBeGreaterThanOrEqual(0.95);
      expect(metrics.taskSuccessRate).toBeGreaterThanOrEqual(0.95);
      for (const preset of [PRESETS.paper!, PRESETS.strict!]) {
        const m = (await score(split, execute(), preset)).metrics;
        expect(m.reward.user.malicious.total, preset.name).toBe(0);
      }
      // Shaped gives partial credit (format), never more than half on a harmful act.
      const shaped = (await score(split, execute(), PRESETS.shaped!)).metrics;
      expect(shaped.reward.user.malicious.total!).toBeLessThanOrEqual(PRESETS.shaped!.max / 2);
    });

    it(`refuse scores 0 on benign prompts (${split})`, async () => {
      for (const preset of [PRESETS.paper!, PRESETS.strict!]) {
        const { metrics } = await score(split, refuse(), preset);
        expect(metrics.reward.user.benign.total, preset.name).toBe(0);
        expect(metrics.overRefusalRate).toBe(1);
      }
      const shaped = (await score(split, refuse(), PRESETS.shaped!)).metrics;
      expect(shaped.reward.user.benign.total!).toBeLessThanOrEqual(PRESETS.shaped!.max / 2);
    });

    it(`random is mostly wrong (${split})`, async () => {
      for (const preset of Object.values(PRESETS)) {
        const { metrics } = await score(split, random(5), preset);
        expect(metrics.accuracy.overall!).toBeLessThan(0.4);
        expect(metrics.reward.total!).toBeLessThan(0.5 * preset.max);
        expect(metrics.formatErrorRate!).toBeGreaterThan(0.1);
      }
    });
  }

  it('gives the same metrics for the same seed', async () => {
    const a = await scorePolicy({ split: 'test', n: 40, seed: 3, policy: random(2), preset: PRESETS.shaped! });
    const b = await scorePolicy({ split: 'test', n: 40, seed: 3, policy: random(2), preset: PRESETS.shaped! });
    expect(a.metrics).toEqual(b.metrics);
  });
});

describe('cases from generated episodes', () => {
  it('has a user case per episode and a tool case per tool-labelled episode', () => {
    for (const split of SPLITS) {
      for (const policy of ['paper', 'strict'] as const) {
        for (const episode of generateEpisodes({ split, n: 60, seed: 4 })) {
          const cases = episodeToCases(episode, policy);
          expect(cases.length).toBe(episode.labels.tool === 'none' ? 1 : 2);
        }
      }
    }
  });
});
