// `npm run results`: writes docs/results.md from the shipped checkpoints' public/checkpoints/*/report.json (which
// `npm run train:release` writes), so the published figures are always the measured ones; tests/cli/results.test.ts
// fails when docs/results.md is not what the reports give.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NEUTRAL_REQUEST } from '../src/core/cases/tool-choice';
import { errorMessage } from '../src/core/errors';

const ROOT = join(import.meta.dirname, '..');
const CHECKPOINTS = join(ROOT, 'public', 'checkpoints');
export const RESULTS = join(ROOT, 'docs', 'results.md');
/** The release pair first, in the order it is trained; any other checkpoint after them. */
const ORDER = ['base', 'aligned'];

const rate = z.number().nullable();
const rates = z.record(z.string(), rate);
const MetricsSchema = z.object({
  count: z.number(),
  userMatrix: z.record(z.string(), z.record(z.string(), z.number())),
  toolMatrix: z.record(z.string(), z.record(z.string(), z.number())),
  accuracy: z.object({ overall: rate, user: rates, tool: rates }),
  attackSuccessRate: z.object({ tool: rate, user: rate }),
  overRefusalRate: rate,
  formatErrorRate: rate,
  taskSuccessRate: rate,
  reward: z.object({ total: rate }),
});
const DecisionPointsSchema = z.object({
  cases: z.number(),
  correct: rates,
  plantedInstructionsObeyed: rate,
  rightCallWhereACallIsRight: rate,
  formatErrors: z.number(),
  // Reports written before the tool-choice yardsticks lack them.
  toolChoice: z.object({ points: z.number(), rightTool: z.number(), wordOverlap: z.number(), withoutRequest: rate }).nullish(),
});
const RateSchema = z.object({ count: z.number(), rate });
/** A benchmark suite's sample as the release script reports it (src/core/benchmarks/report.ts, without failures). */
const SuiteSchema = z.object({
  evaluated: z.number(),
  total: z.number(),
  report: z.object({
    correct: RateSchema,
    attackSuccess: RateSchema,
    benignExecute: RateSchema,
    callAccuracy: RateSchema,
    formatErrorRate: rate,
    injecagent: z.record(z.string(), z.object({ asrValid: rate, validRate: rate })).optional(),
  }),
});

const ReportSchema = z.object({
  checkpoint: z.string(),
  // Reports written before constrained decoding have no `decoding`: they were free decoding.
  evaluation: z.object({ split: z.string(), n: z.number(), seed: z.number(), pYes: z.number(), maxTurns: z.number(), maxNewTokens: z.number(), reward: z.string(), decoding: z.enum(['constrained', 'free']).default('free') }),
  meetsThresholds: z.boolean(),
  training: z.object({ backend: z.string(), sftSeconds: z.number().optional(), grpoSeconds: z.number().optional(), grpoFromPublishedBase: z.boolean().optional(), thresholdsReachedAt: z.object({ iteration: z.number(), seconds: z.number() }).nullable().optional() }),
  metrics: MetricsSchema,
  decisionPoints: DecisionPointsSchema,
  // `rightCalls` (decision points) joined the curve with the 3,000-step cold start; older reports lack it.
  coldStartCurve: z.array(z.object({ step: z.number(), loss: z.number(), formatErrors: rate, tasksDone: rate, rightCalls: rate.optional() })).optional(),
  /** The checkpoint on the other split and on a sample of every benchmark suite (train:release --evaluate). */
  elsewhere: z.object({ split: z.object({ split: z.string(), n: z.number(), seed: z.number() }), metrics: MetricsSchema, decisionPoints: DecisionPointsSchema, benchmarks: z.record(z.string(), SuiteSchema) }).optional(),
  /** The day the own-split figures were made again after the run (train:release --evaluate), if they were. */
  evaluatedAgain: z.string().optional(),
  grpoIterations: z.array(z.object({ iteration: z.number(), reward: rate, accuracy: z.object({ overall: rate }), kl: z.number(), seconds: z.number() })).optional(),
});
export type Report = z.infer<typeof ReportSchema>;

/** Every report.json under `dir`, checked (a bad one throws naming its file and fields), in ORDER. */
export async function readReports(dir = CHECKPOINTS): Promise<Report[]> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const reports: Report[] = [];
  for (const name of names) {
    const file = join(dir, name, 'report.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // a checkpoint without a report (one made by hand) has no results to publish
    }
    const parsed = ReportSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    reports.push(parsed.data);
  }
  const rank = (r: Report): number => (ORDER.includes(r.checkpoint) ? ORDER.indexOf(r.checkpoint) : ORDER.length);
  return reports.sort((a, b) => rank(a) - rank(b) || a.checkpoint.localeCompare(b.checkpoint));
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
const minutes = (s: number | undefined): string => (s === undefined ? '–' : `${(s / 60).toFixed(1)} min`);
const table = (head: string[], rows: string[][]): string[] => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];

/** The short table: one row per checkpoint, the measures a reader compares first. */
function summaryTable(reports: Report[]): string[] {
  return table(
    ['checkpoint', 'correct (all points)', 'malicious prompts refused', 'planted instructions obeyed', 'sensitive verified', 'over-refusal', 'benign tasks done', 'format errors'],
    reports.map((r) => [
      `\`${r.checkpoint}\``,
      pct(r.metrics.accuracy.overall),
      pct(r.metrics.accuracy.user.malicious),
      pct(r.decisionPoints.plantedInstructionsObeyed),
      pct(r.metrics.accuracy.user.sensitive),
      pct(r.metrics.overRefusalRate),
      pct(r.metrics.taskSuccessRate),
      pct(r.metrics.formatErrorRate),
    ]),
  );
}

const SPLIT_WORDS: Record<string, string> = {
  train: 'the training episodes',
  dev: 'the training tools with held-out phrasings, planted-instruction wrappers, ids and worlds',
  test: 'tools and phrasings never seen in training',
};

/** One split's figures: decisions per class, the safety measures, the matrices and the decision points. */
function splitTables(m: Report['metrics'], points: Report['decisionPoints']): string[] {
  const decisions = Object.keys(Object.values(m.userMatrix)[0] ?? {});
  const toolDecisions = Object.keys(Object.values(m.toolMatrix)[0] ?? {});
  return [
    ...table(
      ['class', 'correct decisions'],
      [...Object.entries(m.accuracy.user).map(([k, v]) => [`user: ${k}`, pct(v)]), ...Object.entries(m.accuracy.tool).map(([k, v]) => [`tool output: ${k}`, pct(v)])],
    ),
    '',
    ...table(
      ['measure', 'value'],
      [
        ['attack success, planted instructions', pct(m.attackSuccessRate.tool)],
        ['attack success, malicious prompts', pct(m.attackSuccessRate.user)],
        ['over-refusal of benign prompts', pct(m.overRefusalRate)],
        ['benign tasks done', pct(m.taskSuccessRate)],
        ['format errors', pct(m.formatErrorRate)],
        ['mean reward', m.reward.total?.toFixed(3) ?? '–'],
      ],
    ),
    '',
    'First-turn decision by user class (episodes):',
    '',
    ...table(['user', ...decisions], Object.entries(m.userMatrix).map(([k, row]) => [k, ...decisions.map((d) => String(row[d] ?? 0))])),
    '',
    'Decision right after the labelled tool output, by its class (episodes):',
    '',
    ...table(['tool output', ...toolDecisions], Object.entries(m.toolMatrix).map(([k, row]) => [k, ...toolDecisions.map((d) => String(row[d] ?? 0))])),
    '',
    `At the decision points: the same episodes frozen as ${points.cases} cases, the oracle's conversation up to`,
    'where the agent must act (the user request, or the labelled tool output), so the safety decision is measured even',
    'where a whole episode never reaches the tool output.',
    '',
    ...table(
      ['decision point', 'correct decisions'],
      [
        ...Object.entries(points.correct).map(([k, v]) => [k, pct(v)]),
        ['planted instructions obeyed', pct(points.plantedInstructionsObeyed)],
        ['right call where a call is right', pct(points.rightCallWhereACallIsRight)],
        ['format errors', pct(points.formatErrors)],
      ],
    ),
    '',
    ...(points.toolChoice
      ? [
          `The tool named at the ${points.toolChoice.points} requests where a call is right, beside the word-overlap heuristic`,
          '(the listed tool with the most name words in the request) and the same model with each request replaced by',
          `"${NEUTRAL_REQUEST}": a policy that reads the request and the list beats the first and collapses under the second.`,
          '',
          ...table(
            ['right tool', 'share'],
            [
              ['this checkpoint', pct(points.toolChoice.rightTool)],
              ['word-overlap heuristic', pct(points.toolChoice.wordOverlap)],
              ['this checkpoint without the request', pct(points.toolChoice.withoutRequest)],
            ],
          ),
          '',
        ]
      : []),
  ];
}

/** Every checkpoint on a sample of every benchmark suite: one row per suite and checkpoint. */
function benchmarkTable(reports: Report[]): string[] {
  const rows = reports.flatMap((r) =>
    Object.entries(r.elsewhere?.benchmarks ?? {}).map(([suite, b]) => [
      suite,
      `\`${r.checkpoint}\``,
      `${b.evaluated} of ${b.total}`,
      pct(b.report.correct.rate),
      pct(b.report.attackSuccess.rate),
      pct(b.report.injecagent?.total?.asrValid),
      pct(b.report.benignExecute.rate),
      pct(b.report.callAccuracy.rate),
      pct(b.report.formatErrorRate),
    ]),
  );
  if (rows.length === 0) return [];
  rows.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
  return [
    '## Benchmarks',
    '',
    'A fixed sample of each public suite (every setting and category represented, `src/core/benchmarks/sample.ts`), the',
    'next turn of each case, greedy, with constrained decoding. These suites use tools, wordings and formats the model never',
    'saw: see `../shared/benchmarks/README.md` for what each measures.',
    '',
    ...table(['suite', 'checkpoint', 'cases', 'correct decisions', 'attack success', 'InjecAgent ASR-valid', 'benign tasks carried on', 'call accuracy', 'format errors'], rows),
    '',
  ];
}

function section(r: Report): string[] {
  const m = r.metrics;
  const e = r.evaluation;
  const t = r.training;
  const out = [
    `## \`${r.checkpoint}\``,
    '',
    `${m.count} episodes of the **${e.split}** split (seed ${e.seed}; ${SPLIT_WORDS[e.split] ?? 'a split'}), greedy **${e.decoding}** decoding up to ${e.maxNewTokens} new`,
    `tokens a turn, at most ${e.maxTurns} turns, \`${e.reward}\` reward and its decision rules, P(yes) = ${e.pYes}. Thresholds (every class >= 90%`,
    `correct, >= 90% of benign tasks done): **${r.meetsThresholds ? 'met' : 'not met'}**.` +
      (r.evaluatedAgain ? ` Evaluated again on ${r.evaluatedAgain} (\`train:release --evaluate\`), with the code of that day.` : ''),
    '',
    ...splitTables(m, r.decisionPoints),
    `Training on ${t.backend}: ${[
      t.sftSeconds !== undefined ? `cold start ${minutes(t.sftSeconds)}` : null,
      t.grpoSeconds !== undefined ? `GRPO ${minutes(t.grpoSeconds)}${t.grpoFromPublishedBase ? ' (run alone from the published base: train:release --from-base)' : ''}` : null,
      t.thresholdsReachedAt !== undefined ? `thresholds ${t.thresholdsReachedAt ? `reached at iteration ${t.thresholdsReachedAt.iteration}` : 'not reached'}` : null,
    ]
      .filter(Boolean)
      .join(', ')}.`,
    '',
  ];
  if (r.coldStartCurve?.length) {
    out.push(
      `Cold start, with a ${e.split} sample every few hundred steps${r.evaluatedAgain ? ' (measured during the run, with the code of then)' : ''}:`,
      '',
      ...table(
        ['step', 'loss', 'format errors', 'benign tasks done', 'right calls (decision points)'],
        r.coldStartCurve.map((c) => [String(c.step), c.loss.toFixed(3), pct(c.formatErrors), pct(c.tasksDone), c.rightCalls === undefined ? '–' : pct(c.rightCalls)]),
      ),
      '',
    );
  }
  if (r.grpoIterations?.length) {
    // Every tenth iteration and the last: the curve's shape without a row per iteration.
    const rows = r.grpoIterations.filter((g, i, all) => g.iteration % 10 === 0 || i === 0 || i === all.length - 1);
    out.push(
      'GRPO iterations (train batch):',
      '',
      ...table(['iteration', 'mean reward', 'correct (all points)', 'KL', 'seconds'], rows.map((g) => [String(g.iteration), g.reward?.toFixed(3) ?? '–', pct(g.accuracy.overall), g.kl.toFixed(3), g.seconds.toFixed(1)])),
      '',
    );
  }
  if (r.elsewhere) {
    const o = r.elsewhere;
    out.push(`### \`${r.checkpoint}\` on the ${o.split.split} split`, '', `${o.metrics.count} episodes of the **${o.split.split}** split (seed ${o.split.seed}; ${SPLIT_WORDS[o.split.split] ?? 'a split'}), evaluated alike.`, '', ...splitTables(o.metrics, o.decisionPoints));
  }
  return out;
}

export function resultsMarkdown(reports: Report[]): string {
  return [
    '# Results of the shipped checkpoints',
    '',
    '<!-- Generated by `npm run results` from public/checkpoints/*/report.json; edit the script, not this file. -->',
    '',
    'Each checkpoint in `public/checkpoints` as `npm run train:release` evaluated it when it was made, or again later where its section says so.',
    '',
    ...summaryTable(reports),
    '',
    ...benchmarkTable(reports),
    ...reports.flatMap(section),
  ].join('\n');
}

async function main(): Promise<void> {
  if (process.argv.length > 2) throw new Error(`unexpected argument ${process.argv.slice(2).join(' ')} (usage: npm run results)`);
  await writeFile(RESULTS, resultsMarkdown(await readReports()));
  process.stdout.write(`wrote ${RESULTS}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`results: ${errorMessage(e)}\n`);
    process.exitCode = 1;
  });
}
