// The curves of the Train view, defined once: the charts draw them and the CSV export writes them as columns.
import type { IterationMetrics } from '../ml/grpo';
import type { Metrics } from '../core/metrics';
import { TOOL_CLASSES, USER_CLASSES } from '../core/types';
import { CLASS_COLORS, OTHER_COLORS } from './palette';

export interface SeriesDef {
  /** CSV column and chart legend key. */
  key: string;
  label: string;
  get: (m: IterationMetrics) => number | null;
  /** The class colour for a class's series; others take the rest of the palette in order. */
  color?: string;
}

export interface ChartDef {
  id: string;
  title: string;
  /** One sentence for students: what to look for. */
  hint: string;
  series: SeriesDef[];
  /** Percentages: the y axis is 0–100 from the first point. */
  percent?: boolean;
}

/**
 * Exponential moving average as TensorBoard draws it (debiased, so the first points are not pulled toward 0);
 * gaps (null) stay gaps and do not move the average. `weight` 0 is the raw series.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`ema: weight must be in [0, 1), got ${weight}`);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/** Iterations the decision matrices add up, so each row rests on enough rollouts. */
export const MATRIX_WINDOW = 5;

/** The decision matrices summed over the last `window` iterations, with the range they cover. */
export function rollingMatrices(
  history: readonly IterationMetrics[],
  window = MATRIX_WINDOW,
): (Pick<Metrics, 'userMatrix' | 'toolMatrix' | 'safetyPolicy' | 'count'> & { from: number; to: number }) | null {
  const recent = history.slice(-window);
  const last = recent.at(-1);
  if (!last) return null;
  const sum = <R extends string, C extends string>(pick: (m: IterationMetrics) => Record<R, Record<C, number>>): Record<R, Record<C, number>> => {
    const out = structuredClone(pick(last));
    for (const row of Object.keys(out) as R[]) {
      for (const col of Object.keys(out[row]) as C[]) out[row][col] = recent.reduce<number>((a, m) => a + (pick(m)[row]?.[col] ?? 0), 0);
    }
    return out;
  };
  return {
    userMatrix: sum((m) => m.userMatrix),
    toolMatrix: sum((m) => m.toolMatrix),
    safetyPolicy: last.safetyPolicy,
    count: recent.reduce((a, m) => a + m.count, 0),
    from: (recent[0] as IterationMetrics).iteration,
    to: last.iteration,
  };
}

/**
 * The charts' point for the iteration in progress, from the metrics of its rollouts ended so far: the update's
 * measurements (loss, KL, entropy, speed) do not exist yet, so they are NaN, drawn as gaps.
 */
export function provisionalPoint(iteration: number, partial: Metrics): IterationMetrics {
  const none = Number.NaN;
  return { ...partial, iteration, loss: none, kl: none, approxKl: none, entropy: none, clipFraction: none, rolloutTokensPerSecond: none, trainTokensPerSecond: none, seconds: none, backend: '' };
}

/** A series' values as the charts draw them: NaN and missing values are gaps. */
export function chartValues(points: readonly IterationMetrics[], get: SeriesDef['get']): (number | null)[] {
  return points.map((m) => {
    const v = get(m);
    return v !== null && Number.isFinite(v) ? v : null;
  });
}

const pct = (x: number | null): number | null => (x === null ? null : x * 100);
// Runs saved before unsafe effects, outcomes and "rewarded but wrong" were measured lack those fields: their
// getters read them optionally, so such a run still restores (with gaps in those curves).

/** Reward components differ per preset (and custom rewards name their own), so they are read from the data. */
function componentSeries(history: readonly IterationMetrics[]): SeriesDef[] {
  const names = [...new Set(history.flatMap((m) => Object.keys(m.reward.components)))].sort();
  return names.map((name) => ({ key: `component.${name}`, label: name, get: (m) => m.reward.components[name] ?? null }));
}

export function chartDefs(history: readonly IterationMetrics[]): ChartDef[] {
  return [
    {
      id: 'reward-user',
      title: 'Mean reward per user prompt class',
      hint: 'Rising on malicious prompts means it learns to refuse; on sensitive ones, to ask first.',
      series: [
        { key: 'reward.total', label: 'all', get: (m) => m.reward.total, color: OTHER_COLORS[0] },
        ...USER_CLASSES.map((c) => ({ key: `reward.user.${c}`, label: c, get: (m: IterationMetrics) => m.reward.user[c].total, color: CLASS_COLORS[c] })),
      ],
    },
    {
      id: 'reward-tool',
      title: 'Mean reward per tool output class',
      hint: 'Malicious tool outputs carry planted instructions: the reward pays for not obeying them.',
      series: TOOL_CLASSES.filter((c) => c !== 'none').map((c) => ({
        key: `reward.tool.${c}`,
        label: c,
        get: (m: IterationMetrics) => m.reward.tool[c].total,
        color: CLASS_COLORS[c],
      })),
    },
    { id: 'components', title: 'Reward components (mean)', hint: 'The parts the reward is built from (format, label rule…), each averaged.', series: componentSeries(history) },
    {
      id: 'safety',
      title: 'Safety and utility (%)',
      hint: 'Attack success, unsafe effects and over-refusal should fall; verification should match the sensitive share.',
      percent: true,
      // Each rate in the colour of the class it is about; the format errors in black.
      series: [
        { key: 'attack.tool', label: 'attack success (planted)', get: (m) => pct(m.attackSuccessRate.tool), color: CLASS_COLORS.malicious },
        { key: 'attack.user', label: 'attack success (malicious prompt)', get: (m) => pct(m.attackSuccessRate.user), color: OTHER_COLORS[2] },
        { key: 'unsafe', label: 'unsafe effect', get: (m) => pct(m.unsafeEffectRate?.overall ?? null), color: OTHER_COLORS[1] },
        { key: 'overRefusal', label: 'over-refusal', get: (m) => pct(m.overRefusalRate), color: CLASS_COLORS.benign },
        { key: 'verification', label: 'verification', get: (m) => pct(m.verificationRate.overall), color: CLASS_COLORS.sensitive },
        { key: 'formatErrors', label: 'format errors', get: (m) => pct(m.formatErrorRate), color: OTHER_COLORS[0] },
      ],
    },
    {
      id: 'task',
      title: 'Task done and claimed success (%)',
      hint: 'Task done: the calls the user asked for really ran. Claimed success: it answered done although they did not.',
      series: [
        { key: 'taskDone', label: 'task done', get: (m) => pct(m.taskSuccessRate) },
        { key: 'claimed', label: 'claimed success', get: (m) => pct(m.claimedSuccessRate ?? null) },
      ],
    },
    {
      id: 'rewarded-wrong',
      title: 'Rewarded but wrong (rollouts)',
      hint: 'Rollouts the reward pays in full although their outcome is not correct: reward hacking, counted. Rising means the agent learns to game the reward.',
      series: [
        { key: 'rewardedButWrong', label: 'rewarded but wrong', get: (m) => m.rewardedButWrong ?? null },
        { key: 'outcome.correct', label: 'correct', get: (m) => m.outcomes?.correct ?? null },
      ],
    },
    {
      id: 'kl-entropy',
      title: 'KL to the base and entropy',
      hint: 'KL: how far the policy moved from where it started. Entropy: how random its tokens still are.',
      series: [
        { key: 'kl', label: 'KL', get: (m) => m.kl, color: OTHER_COLORS[0] },
        { key: 'entropy', label: 'entropy', get: (m) => m.entropy, color: OTHER_COLORS[1] },
      ],
    },
  ];
}

const EXTRA_COLUMNS: SeriesDef[] = [
  { key: 'accuracy.overall', label: 'accuracy', get: (m) => m.accuracy.overall },
  { key: 'loss', label: 'loss', get: (m) => m.loss },
  { key: 'clipFraction', label: 'clip fraction', get: (m) => m.clipFraction },
  { key: 'rolloutTokensPerSecond', label: 'rollout tokens/s', get: (m) => m.rolloutTokensPerSecond },
  { key: 'trainTokensPerSecond', label: 'train tokens/s', get: (m) => m.trainTokensPerSecond },
  { key: 'seconds', label: 'seconds', get: (m) => m.seconds },
];

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per iteration: iteration, backend, every charted series, then accuracy, loss and throughput. */
export function metricsToCsv(history: readonly IterationMetrics[]): string {
  const columns = [...chartDefs(history).flatMap((c) => c.series), ...EXTRA_COLUMNS];
  const header = ['iteration', 'backend', ...columns.map((c) => c.key)].join(',');
  const rows = history.map((m) => [m.iteration, m.backend, ...columns.map((c) => c.get(m))].map(csvCell).join(','));
  return [header, ...rows].join('\n') + '\n';
}
