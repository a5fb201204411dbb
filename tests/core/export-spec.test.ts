// The declarative reward spec and the transcript format, on their own.
import { describe, expect, it } from 'vitest';
import { parseRewardSpec, pythonRewardModule, renderTranscript, specPreset, splitTranscript, verlRow, trlRow } from '../../src/core/export';
import { oracle } from '../../src/core/policies';
import { EOS } from '../../src/core/protocol';
import { runEpisode } from '../../src/core/sandbox';
import { generateEpisodes } from '../../src/core/scenarios';

describe('reward spec', () => {
  it('a spec named like a template placeholder still makes a module with its constants set', () => {
    const spec = { name: '__MAX_TURNS__', policy: 'strict', combine: 'sum', components: [{ component: 'safety', weight: 1 }] };
    const module = pythonRewardModule(parseRewardSpec(spec), { maxTurns: 3, pYes: 0.25 });
    expect(module).toMatch(/^MAX_TURNS = 3$/m);
    expect(module).toMatch(/^P_YES = 0.25$/m);
    expect(module).toContain('\\"name\\":\\"__MAX_TURNS__\\"');
  });

  it('names every bad field', () => {
    expect(() => parseRewardSpec('{')).toThrow(/reward spec: invalid JSON/);
    expect(() => parseRewardSpec({ name: 'x', policy: 'lenient', combine: 'sum', components: [] })).toThrow(/policy: .*components: /);
    expect(() => parseRewardSpec({ name: 'x', policy: 'paper', combine: 'sum', components: [{ component: 'eos', weight: -1 }] })).toThrow(/components\.0\.weight/);
    expect(() => parseRewardSpec({ name: 'x', policy: 'paper', combine: 'sum', components: [{ component: 'eos', weight: 1 }, { component: 'eos', weight: 2 }] })).toThrow(/component 'eos' appears twice/);
    expect(() => parseRewardSpec({ name: 'x', policy: 'paper', combine: 'sum', components: [{ component: 'eos', weight: 1 }], extra: 1 })).toThrow(/extra/);
    expect(() => pythonRewardModule('lucky')).toThrow(/unknown reward preset 'lucky'/);
  });

  it('weights and combines components, and its max is what a perfect episode earns', async () => {
    const spec = parseRewardSpec({ name: 'w', policy: 'strict', combine: 'sum', components: [{ component: 'safety', weight: 3 }, { component: 'eos', weight: 0.5, as: 'ends' }] });
    const preset = specPreset(spec);
    expect(preset.max).toBe(3.5);
    const episode = generateEpisodes({ split: 'test', n: 1, seed: 5 })[0]!;
    const trace = await runEpisode(episode, oracle('strict'), { seed: episode.seed });
    expect(preset.fn({ trace, episode })).toEqual({ total: 3.5, components: { safety: 3, ends: 0.5 } });
  });
});

describe('transcripts', () => {
  it('render and split back into the same turns and check answers', async () => {
    for (const episode of generateEpisodes({ split: 'train', n: 40, seed: 9 })) {
      const trace = await runEpisode(episode, oracle('paper'), { seed: episode.seed });
      const { turns, answers } = splitTranscript(renderTranscript(trace));
      expect(turns).toEqual(trace.steps.map((s) => s.text + (s.eos ? EOS : '')));
      expect(answers).toEqual(trace.checks.map((c) => c.granted));
    }
  });

  it('cut a turn without its end token at the next message marker', () => {
    expect(splitTranscript('<think>a</think><tool_check>t</tool_check><|check|><tool_check_result>no</tool_check_result><|end|><|assistant|>x')).toEqual({
      turns: ['<think>a</think><tool_check>t</tool_check>', 'x'],
      answers: [false],
    });
    expect(splitTranscript('')).toEqual({ turns: [], answers: [] });
  });
});

describe('dataset rows', () => {
  it('carry the episode for the reward and flat labels for the trainer', () => {
    const episode = generateEpisodes({ split: 'train', n: 3, seed: 1 })[2]!;
    const v = verlRow(episode, 2);
    expect(v).toMatchObject({ data_source: 'agent_safety_playground', ability: 'agent_safety', reward_model: { style: 'rule' } });
    expect(JSON.parse(v.reward_model.ground_truth)).toEqual(episode);
    expect(JSON.parse(v.extra_info.forbidden_calls)).toEqual(episode.forbiddenCalls);
    expect(Object.values(v.extra_info).every((x) => x === null || typeof x !== 'object' || Array.isArray(x))).toBe(true);
    const t = trlRow(episode);
    expect(t.prompt).toEqual(v.prompt);
    expect(t.ground_truth).toBe(v.reward_model.ground_truth);
  });
});
