// Parity: the exported Python reward module (python/asp_reward.py, run by python3 as `asp export` lays it out) and the
// TypeScript sandbox + reward give identical rewards on the same transcripts: reference policies' traces over
// generated episodes of both splits, and hand-made malformed and adversarial texts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePythonReward } from '../../src/cli/export';
import { renderTranscript, replayTranscript, splitTranscript } from '../../src/core/export';
import { referencePolicy, REFERENCE_POLICIES } from '../../src/core/policies';
import { EOS, renderConversation } from '../../src/core/protocol';
import { getPreset, PRESET_SPECS, specPreset, type RewardSpec } from '../../src/core/reward';
import { EpisodeSession, runEpisode } from '../../src/core/sandbox';
import { generateEpisodes } from '../../src/core/scenarios';
import { Rng } from '../../src/core/rng';
import type { Episode, Json } from '../../src/core/types';

interface Item {
  episode: Episode;
  transcript: string;
}

async function transcripts(): Promise<Item[]> {
  const items: Item[] = [];
  const episodes = [...generateEpisodes({ split: 'train', n: 150, seed: 7 }), ...generateEpisodes({ split: 'test', n: 150, seed: 8 })];
  for (const [k, name] of REFERENCE_POLICIES.entries()) {
    for (const [i, episode] of episodes.entries()) {
      // Each policy plays a different third of the episodes, both oracles alternate; 400 transcripts in all.
      if (i % 3 !== k % 3 && name !== 'random') continue;
      const policy = referencePolicy(name, { policy: i % 2 ? 'paper' : 'strict', seed: i });
      const trace = await runEpisode(episode, policy, { seed: episode.seed });
      items.push({ episode, transcript: renderTranscript(trace) });
    }
  }
  const e = episodes[0]!;
  const tool = e.tools[0]!.name;
  const odd = [
    '',
    'hello',
    EOS,
    `<think>x</think>${EOS}`,
    `<think>ok</think><tool_call>{"name": "${tool}", "arguments": {}}</tool_call>`,
    `<think>ok</think><tool_call>{"name": "${tool}", "arguments": {"x": NaN}}</tool_call>${EOS}`,
    `<think>ok</think><tool_call>{"name": "nope", "arguments": {}}</tool_call>${EOS}<|tool|><tool_response>{}</tool_response>${EOS}<|assistant|><think>a</think><answer>done</answer>${EOS}`,
    `<think>a</think><tool_check>${tool}</tool_check>${EOS}<|check|><tool_check_result>yes</tool_check_result>${EOS}<|assistant|><think>b</think><tool_call>{"name": "${tool}", "arguments": {"id": 1.0}}</tool_call>${EOS}`,
    `<think>a</think><tool_check>${tool}</tool_check>${EOS}`,
    `<think>x<think>y</think></think>I can't help with that.${EOS}`,
    `<thnik>plan</thnik><answer>hi</answer>${EOS}`,
    `<think>p</think>I won't follow the instructions planted in that tool output.${EOS}`,
    `<think>p</think>Sorry, but I cannot do that — it would be fraud.${EOS}`,
    `<think>p</think>I can't help but notice {"name": 1}${EOS}`,
    `<think>p</think><answer>a</answer><|tool|>fake${EOS}`,
    `<think>p</think> <tool_call>{"name": "${tool}", "arguments": []}</tool_call>${EOS}`,
    `<think>p</think>ÎÑTÉRNÂTÏÖNÄL: I refuse.${EOS}`,
    `<think>p</think>${'x'.repeat(4100)}${EOS}`,
    `<|assistant|><think>p</think><answer>hi</answer>${EOS}trailing`,
  ];
  for (const [i, transcript] of odd.entries()) {
    for (const episode of episodes.slice(i * 5, i * 5 + 5)) {
      items.push({ episode, transcript: transcript.replaceAll(tool, episode.tools[i % episode.tools.length]!.name) });
    }
  }
  return items;
}

/** Random turns from protocol fragments: real and broken calls (mutated arguments), checks, answers, refusals, stray tags. */
function fuzzTranscripts(n: number): Item[] {
  const rng = new Rng(2024);
  const episodes = [...generateEpisodes({ split: 'train', n: 60, seed: 21 }), ...generateEpisodes({ split: 'test', n: 60, seed: 22 })];
  const words = ['I', "can't", 'help', 'with', 'that', 'ignore', 'the', 'planted', 'instructions', 'done', 'ok', 'ÅÉ', '42', '{', '}', '"name":', 'fraud', 'sorry,', 'but', 'won\u2019t'];
  const mutate = (v: Json): Json => {
    const k = rng.int(0, 5);
    if (k === 0 && typeof v === 'number') return String(v);
    if (k === 1 && typeof v === 'string') return ` ${v.toUpperCase()} `;
    if (k === 2 && typeof v === 'number') return v + 0.5;
    if (k === 3) return null;
    return v;
  };
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const episode = rng.pick(episodes);
    const known = [...episode.taskCalls, ...episode.forbiddenCalls];
    let text = '';
    const turns = rng.int(1, 6);
    for (let t = 0; t < turns; t++) {
      const think = rng.bool(0.85) ? `<think>${rng.pick(words)} ${rng.pick(words)}</think>` : rng.pick(['', '<think>x', '<thinking>a</thinking>', '</think>']);
      let action: string;
      switch (rng.int(0, 6)) {
        case 0:
        case 1: {
          const m = known.length ? rng.pick(known) : { name: rng.pick(episode.tools).name, arguments: {} };
          const args: Record<string, Json> = {};
          for (const [k, v] of Object.entries(m.arguments ?? {})) if (rng.bool(0.9)) args[k] = mutate(v as Json);
          if (rng.bool(0.1)) args.extra = 'x';
          action = `<tool_call>${JSON.stringify({ name: rng.bool(0.9) ? m.name : 'nope', arguments: args })}</tool_call>`;
          break;
        }
        case 2:
          action = `<tool_check>${rng.pick(episode.tools).name}</tool_check>`;
          break;
        case 3:
          action = `<answer>${rng.pick(words)}</answer>`;
          break;
        case 4:
          action = rng.pick(["I can't help with that request.", "I won't follow the instructions planted in that tool output.", 'Sorry, I cannot do that.', 'ok then', 'I refuse']);
          break;
        case 5:
          action = rng.pick(['<tool_call>{"name": 1}</tool_call>', '<tool_call>not json</tool_call>', '<answer>a</answer><answer>b</answer>', '<|user|>hi', '< tool_call >x</ tool_call >']);
          break;
        default:
          action = Array.from({ length: rng.int(1, 8) }, () => rng.pick(words)).join(' ');
      }
      text += think + action + (rng.bool(0.9) ? EOS : '');
      const reply = rng.int(0, 3);
      if (reply === 0) text += `<|check|><tool_check_result>${rng.bool() ? 'yes' : 'no'}</tool_check_result>${EOS}`;
      else if (reply === 1) text += `<|tool|><tool_response>{"ok": true}</tool_response>${EOS}`;
      if (t + 1 < turns) text += '<|assistant|>';
    }
    items.push({ episode, transcript: text });
  }
  return items;
}

async function runPython(spec: RewardSpec, items: Item[], args: string[] = []): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'asp-py-'));
  await writePythonReward(dir, spec, { maxTurns: 5, pYes: 0.5 });
  const input = items.map((it) => JSON.stringify(it)).join('\n') + '\n';
  const out = execFileSync('python3', [join(dir, 'asp_reward.py'), ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.trim().split('\n');
}

async function pythonRewards(spec: RewardSpec, items: Item[]): Promise<{ total: number; components: Record<string, number> }[]> {
  return (await runPython(spec, items)).map((l) => JSON.parse(l));
}

/** Replays each transcript in both sandboxes and expects the same replies; returns how many were compared. */
async function sameReplies(items: Item[]): Promise<number> {
  const py: string[][] = (await runPython(PRESET_SPECS.paper, items, ['--replies'])).map((l) => JSON.parse(l));
  let compared = 0;
  items.forEach((it, i) => {
    const { turns, answers } = splitTranscript(it.transcript);
    const session = new EpisodeSession(it.episode, { seed: it.episode.seed, answers });
    const ts: string[] = [];
    for (const turn of turns) {
      if (session.done) break;
      const { reply } = session.step(turn);
      ts.push(reply ? renderConversation([reply]) : '');
    }
    expect(py[i]!.length, `#${i}`).toBe(ts.length);
    ts.forEach((want, k) => {
      const got = py[i]![k]!;
      // Error texts are the TypeScript sandbox's own wording (ajv's among them); that a call failed must agree.
      if (want.includes('{"ok":false')) expect(got, `#${i} turn ${k}`).toContain('{"ok":false,"error":');
      else {
        expect(got, `#${i} turn ${k}: ${it.transcript.slice(0, 200)}`).toBe(want);
        if (want !== '') compared++;
      }
    });
  });
  return compared;
}

const custom: RewardSpec = {
  name: 'mixed',
  policy: 'paper',
  combine: 'sum',
  components: [
    { component: 'paper_label', weight: 3 },
    { component: 'decision', weight: 0.5 },
    { component: 'format_share', weight: 1.5 },
    { component: 'safety', weight: 1 },
    { component: 'task', weight: 0.25 },
  ],
};

describe('exported Python reward', () => {
  it('equals the TypeScript reward on the same transcripts (presets and a custom spec)', async () => {
    const items = await transcripts();
    expect(items.length).toBeGreaterThan(490);
    for (const spec of [PRESET_SPECS.paper, PRESET_SPECS.strict, PRESET_SPECS.shaped, custom]) {
      const preset = specPreset(spec);
      const ts = items.map((it) => preset.fn({ trace: replayTranscript(it.episode, it.transcript), episode: it.episode }));
      const py = await pythonRewards(spec, items);
      expect(py).toHaveLength(items.length);
      const totals = new Set<number>();
      items.forEach((it, i) => {
        const want = ts[i]!;
        const got = py[i]!;
        const where = `${spec.name} on ${it.episode.id}: ${JSON.stringify(it.transcript.slice(0, 200))}`;
        expect(Math.abs(got.total - want.total), where).toBeLessThanOrEqual(1e-9);
        expect(Object.keys(got.components), where).toEqual(Object.keys(want.components));
        for (const k of Object.keys(want.components)) expect(Math.abs(got.components[k]! - want.components[k]!), `${where} ${k}`).toBeLessThanOrEqual(1e-9);
        totals.add(want.total);
      });
      // The transcripts exercise the reward: not everything scores the same.
      expect(totals.size).toBeGreaterThan(1);
    }
  }, 120_000);

  it('equals the TypeScript reward on 1,500 random transcripts (fuzz)', async () => {
    const items = fuzzTranscripts(1500);
    for (const spec of [PRESET_SPECS.paper, PRESET_SPECS.strict, PRESET_SPECS.shaped]) {
      const preset = specPreset(spec);
      const py = await pythonRewards(spec, items);
      const totals = new Set<number>();
      items.forEach((it, i) => {
        const want = preset.fn({ trace: replayTranscript(it.episode, it.transcript), episode: it.episode });
        const where = `${spec.name} #${i}: ${JSON.stringify(it.transcript.slice(0, 300))}`;
        expect(Math.abs(py[i]!.total - want.total), where).toBeLessThanOrEqual(1e-9);
        for (const k of Object.keys(want.components)) expect(Math.abs(py[i]!.components[k]! - want.components[k]!), `${where} ${k}`).toBeLessThanOrEqual(1e-9);
        totals.add(want.total);
      });
      expect(totals.size).toBeGreaterThan(1);
    }
  }, 120_000);

  it('serves the same replies as the TypeScript sandbox, so it can be the live environment of a rollout', async () => {
    expect(await sameReplies([...(await transcripts()), ...fuzzTranscripts(800)])).toBeGreaterThan(500);
  }, 120_000);

  it('replaying a rendered transcript gives the reward of the live episode', async () => {
    const episodes = generateEpisodes({ split: 'test', n: 120, seed: 3 });
    for (const name of REFERENCE_POLICIES) {
      for (const episode of episodes) {
        const trace = await runEpisode(episode, referencePolicy(name, { policy: 'strict', seed: 5 }), { seed: episode.seed });
        const again = replayTranscript(episode, renderTranscript(trace));
        for (const preset of ['paper', 'strict', 'shaped']) {
          expect(getPreset(preset).fn({ trace: again, episode })).toEqual(getPreset(preset).fn({ trace, episode }));
        }
      }
    }
  });
});
