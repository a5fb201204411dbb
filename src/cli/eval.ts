// `asp eval`: a policy's next assistant turn on each case of a case file or a shipped benchmark suite (greedy,
// repeatable), whole sandbox episodes of a split, or transcripts an outside model wrote, replayed in the sandbox.
// The last stdout line is one JSON object with the summary (for a suite: the benchmark report).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { benchmarkReport, casePolicyTurn, CASE_POLICIES, classifyCompletion, type CasePolicyName, type CaseResult, type SuiteInfo } from '../core/benchmarks';
import { caseToMessages, parseCases, type Case } from '../core/cases';
import { errorMessage } from '../core/errors';
import { replayTranscript } from '../core/export';
import { aggregateMetrics, type EpisodeRecord } from '../core/metrics';
import { renderConversation } from '../core/protocol';
import { getPreset } from '../core/reward';
import { generateEpisode } from '../core/scenarios';
import { DEFAULT_RUN_CONFIG, DecodingSchema, type Decoding } from '../core/config';
import { SPLITS, TOOL_CLASSES, USER_CLASSES, type Episode, type RewardPreset, type Split } from '../core/types';
import { chooseBackend, type BackendName, BACKENDS } from '../ml/backend';
import { loadCheckpointDir } from '../ml/checkpoint-node';
import { evaluateDecisionPoints } from '../ml/decision-points';
import { evaluateCases, evaluateEpisodes, summarizeCaseResults } from '../ml/evaluate';
import { intFlag, MAX_EPISODES, numberFlag, oneOf, parseFlags, printable, requiredString, UsageError } from './args';
import { checkOutputs } from './files';

/** The largest episode index a transcript line may name (the generator's indices are 32-bit in practice). */
const MAX_INDEX = 2 ** 32 - 1;

/** Where the converted suites live: public/benchmarks of this checkout. */
const BENCHMARKS_DIR = fileURLToPath(new URL('../../public/benchmarks/', import.meta.url));

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The suites' case files, named in public/benchmarks/index.json; 'all' is every suite. */
export async function suitePaths(names: string): Promise<string[]> {
  const index = JSON.parse(await readText(join(BENCHMARKS_DIR, 'index.json'), 'benchmark index')) as SuiteInfo[];
  const wanted = names === 'all' ? index.map((s) => s.name) : names.split(',');
  return wanted.map((name) => {
    const suite = index.find((s) => s.name === name);
    if (!suite) throw new UsageError(`unknown suite '${name}' (suites: ${index.map((s) => s.name).join(', ')}, or all)`);
    return join(BENCHMARKS_DIR, suite.file);
  });
}

export async function evalCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    checkpoint: { type: 'string' },
    policy: { type: 'string' },
    cases: { type: 'string' },
    suite: { type: 'string' },
    transcripts: { type: 'string' },
    out: { type: 'string' },
    split: { type: 'string' },
    n: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    reward: { type: 'string', default: 'paper' },
    'p-yes': { type: 'string', default: '0.5' },
    'max-new-tokens': { type: 'string', default: String(DEFAULT_RUN_CONFIG.grpo.maxNewTokens) },
    'max-turns': { type: 'string', default: '5' },
    decoding: { type: 'string', default: 'constrained' },
    points: { type: 'boolean' },
    backend: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const sources = (['cases', 'suite', 'split', 'transcripts'] as const).filter((k) => flags[k] !== undefined);
  if (sources.length !== 1) {
    throw new UsageError('eval needs exactly one of --cases FILE, --suite NAME, --split train|dev|test or --transcripts FILE');
  }
  if (typeof flags.out === 'string') {
    const inputs = [flags.cases, flags.transcripts].filter((p): p is string => typeof p === 'string');
    await checkOutputs([flags.out], { force: flags.force === true, inputs });
  }
  if (flags.transcripts !== undefined) return evalTranscripts(String(flags.transcripts), flags);
  const onCases = flags.split === undefined;
  if (flags.policy !== undefined) {
    if (!onCases) throw new UsageError('--policy scores cases; for a split use `asp score --policy`');
    if (flags.checkpoint !== undefined) throw new UsageError('give --checkpoint DIR or --policy NAME, not both');
    const policy = oneOf<CasePolicyName>('policy', flags.policy, CASE_POLICIES);
    const { cases, skipped, sensitiveDefaulted, suite } = await loadCases(flags);
    await report(cases, cases.map((c) => classifyCompletion(c, casePolicyTurn(policy, c))), skipped, suite, flags, { sensitiveDefaulted });
    return;
  }
  const dir = requiredString('checkpoint', flags.checkpoint);
  const maxNewTokens = intFlag('max-new-tokens', flags['max-new-tokens'], 4);
  const decoding = oneOf<Decoding>('decoding', flags.decoding, DecodingSchema.options);
  if (flags.points && onCases) throw new UsageError('--points takes the decision points of a --split');
  const prefer = flags.backend === undefined ? undefined : oneOf<BackendName>('backend', flags.backend, BACKENDS);
  // Cases are read (and rejected) before the model loads.
  const loaded = onCases ? await loadCases(flags) : null;
  await chooseBackend({ prefer });
  const { model, tokenizer } = await loadCheckpointDir(dir);
  try {
    if (!loaded && flags.points) {
      // The decision points alone: each episode frozen where the agent must act, so every class is measured.
      const points = await evaluateDecisionPoints(model, tokenizer, {
        split: oneOf<Split>('split', flags.split, SPLITS),
        n: intFlag('n', flags.n, 1),
        seed: intFlag('seed', flags.seed),
        maxNewTokens,
        decoding,
        policy: getPreset(String(flags.reward)).policy,
      });
      process.stdout.write(JSON.stringify({ decoding, ...points }) + '\n');
      return;
    }
    if (!loaded) {
      const { metrics } = await evaluateEpisodes(model, tokenizer, {
        split: oneOf<Split>('split', flags.split, SPLITS),
        n: intFlag('n', flags.n, 1, MAX_EPISODES),
        seed: intFlag('seed', flags.seed),
        preset: getPreset(String(flags.reward)),
        pYes: numberFlag('p-yes', flags['p-yes'], 0, 1),
        maxTurns: intFlag('max-turns', flags['max-turns'], 1),
        maxNewTokens,
        decoding,
      });
      process.stdout.write(JSON.stringify(metrics) + '\n');
      return;
    }
    const results = await evaluateCases(model, tokenizer, loaded.cases, { maxNewTokens, decoding });
    // Cases longer than the context lose their oldest tokens (the system prompt with the tool list first): say how many.
    const budget = model.config.contextLength - maxNewTokens;
    const truncated = loaded.cases.filter((c) => tokenizer.encode(renderConversation(caseToMessages(c))).length > budget).length;
    await report(loaded.cases, results, loaded.skipped, loaded.suite, flags, {
      truncated,
      contextLength: model.config.contextLength,
      sensitiveDefaulted: loaded.sensitiveDefaulted,
    });
  } finally {
    model.dispose();
  }
}

type Flags = Record<string, string | boolean | undefined>;

async function loadCases(flags: Flags): Promise<{ cases: Case[]; skipped: number; sensitiveDefaulted: number; suite: boolean }> {
  const suite = flags.suite !== undefined;
  const paths = suite ? await suitePaths(String(flags.suite)) : [String(flags.cases)];
  const cases: Case[] = [];
  let skipped = 0;
  let sensitiveDefaulted = 0;
  for (const path of paths) {
    const parsed = parseCases(await readText(path, 'cases'));
    for (const e of parsed.errors) process.stderr.write(`${printable(`${path}:${e.line}: ${e.field}: ${e.message}`)}\n`);
    if (parsed.cases.length === 0) throw new UsageError(`no valid case in ${path}`);
    if (parsed.sensitiveDefaulted > 0) {
      process.stderr.write(`${path}: ${parsed.sensitiveDefaulted} tools have no "sensitive" field and are read as not sensitive\n`);
    }
    cases.push(...parsed.cases);
    skipped += new Set(parsed.errors.map((e) => e.line)).size;
    sensitiveDefaulted += parsed.sensitiveDefaulted;
  }
  return { cases, skipped, sensitiveDefaulted, suite };
}

/** Result lines (to --out, else stdout), then the summary; for a suite the summary carries the benchmark report. */
async function report(
  cases: Case[],
  results: CaseResult[],
  skipped: number,
  suite: boolean,
  flags: Flags,
  extra: Record<string, number> = {},
): Promise<void> {
  const lines = results.map((r) => JSON.stringify(r)).join('\n') + '\n';
  if (typeof flags.out === 'string') await writeFile(flags.out, lines);
  else process.stdout.write(lines);
  const summary = { ...summarizeCaseResults(cases, results), skipped, ...extra };
  process.stdout.write(JSON.stringify(suite ? { ...summary, ...benchmarkReport(cases, results) } : summary) + '\n');
}

/**
 * One JSON object per line: the episode itself ({"episode": {...}}) or where to regenerate it ({"split", "seed",
 * "index"}), and what the model wrote: "transcript" (the text after the prompt, as the protocol renders it) or
 * "turns" (assistant turns; optional "checks": ["yes"|"no", ...] answers given to its checks).
 */
async function evalTranscripts(path: string, flags: Flags): Promise<void> {
  const preset = getPreset(String(flags.reward));
  const opts = { preset, maxTurns: intFlag('max-turns', flags['max-turns'], 1), pYes: numberFlag('p-yes', flags['p-yes'], 0, 1) };
  const records: EpisodeRecord[] = [];
  const out: string[] = [];
  let skipped = 0;
  (await readText(path, 'transcripts')).split(/\r?\n/).forEach((raw, i) => {
    const read = readTranscriptLine(raw, opts);
    if (read === null) return;
    if ('error' in read) {
      process.stderr.write(`${printable(`${path}:${i + 1}: ${read.error}`)}\n`);
      skipped++;
      return;
    }
    const { episode, trace, reward } = read.record;
    records.push(read.record);
    out.push(JSON.stringify({ line: i + 1, episode_id: episode.id, labels: episode.labels, end: trace.end, decisions: trace.steps.map((s) => s.action.kind), eos: trace.steps.every((s) => s.eos), reward }));
  });
  if (records.length === 0) throw new UsageError(`no valid transcript in ${path}`);
  const lines = out.join('\n') + '\n';
  if (typeof flags.out === 'string') await writeFile(flags.out, lines);
  else process.stdout.write(lines);
  process.stdout.write(JSON.stringify({ ...aggregateMetrics(records, preset.policy, preset.max), reward: preset.name, skipped }) + '\n');
}

/** One line of a transcripts file, replayed and scored: the record, or what is wrong with the line (never a throw); null for a blank line. */
export function readTranscriptLine(
  raw: string,
  opts: { preset: RewardPreset; maxTurns: number; pYes: number },
): { record: EpisodeRecord } | { error: string } | null {
  if (raw.trim() === '') return null;
  const fail = (error: string) => ({ error });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return fail(`invalid JSON: ${errorMessage(e)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('not a JSON object');
  const item = parsed as Record<string, unknown>;
  let episode: Episode;
  if (item.episode !== undefined) {
    const e = item.episode as Episode;
    if (
      typeof e !== 'object' || e === null || typeof e.id !== 'string' || !Array.isArray(e.tools) || typeof e.user !== 'string' || !e.world ||
      !(USER_CLASSES as readonly unknown[]).includes(e.labels?.user) || !(TOOL_CLASSES as readonly unknown[]).includes(e.labels?.tool)
    ) {
      return fail('episode: not an episode (see `asp scenarios`)');
    }
    episode = e;
  } else {
    const { split, seed, index } = item;
    if (!SPLITS.includes(split as Split) || !Number.isSafeInteger(seed) || (seed as number) < 0 || !Number.isSafeInteger(index) || (index as number) < 0 || (index as number) > MAX_INDEX) {
      return fail(`give "episode", or "split" (train|dev|test), "seed" (an integer >= 0) and "index" (an integer from 0 to ${MAX_INDEX})`);
    }
    // Episode i is made directly from (split, seed, i): a large index costs no more than a small one.
    episode = generateEpisode({ split: split as Split, seed: seed as number, index: index as number });
  }
  let transcript: Parameters<typeof replayTranscript>[1];
  if (typeof item.transcript === 'string') transcript = item.transcript;
  else if (Array.isArray(item.turns) && item.turns.every((t) => typeof t === 'string')) {
    const checks = item.checks ?? [];
    if (!Array.isArray(checks) || !checks.every((c) => c === 'yes' || c === 'no')) return fail('checks: must be a list of "yes"/"no"');
    // Each turn keeps its end token <|end|> when the model wrote one; a turn without it counts as cut off.
    transcript = { turns: item.turns as string[], answers: checks.map((c) => c === 'yes') };
  } else return fail('give "transcript" (text) or "turns" (list of assistant turns)');
  try {
    const trace = replayTranscript(episode, transcript, { maxTurns: opts.maxTurns, pYes: opts.pYes });
    const record = { episode, trace, reward: opts.preset.fn({ trace, episode }) };
    aggregateMetrics([record], opts.preset.policy); // what the summary will do with it
    return { record };
  } catch (e) {
    // An episode given inline may be partial or malformed in ways only the replay finds.
    return fail(`episode: cannot be replayed (${errorMessage(e)})`);
  }
}
