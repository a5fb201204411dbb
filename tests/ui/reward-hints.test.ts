// The custom-reward API doc and editor completions, read from src/core/types.ts and the lib helpers' sources.
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REWARD_API_DOC, REWARD_COMPLETIONS } from '../../src/app/reward-hints';
import { REWARD_LIB } from '../../src/core/reward';
import { EPISODES, READ, answer, play } from '../core/reward-fixtures';

const benign = { episode: EPISODES.benign, trace: play(EPISODES.benign, [READ, answer()]) };

describe('REWARD_API_DOC', () => {
  it('declares every field a reward can read, and every lib helper with its signature', () => {
    for (const key of [...Object.keys(benign.trace), ...Object.keys(benign.trace.steps[0]!), ...Object.keys(benign.episode)]) {
      expect(REWARD_API_DOC).toMatch(new RegExp(`\\b${key}\\??:`));
    }
    for (const name of Object.keys(REWARD_LIB)) expect(REWARD_API_DOC).toMatch(new RegExp(`^ {2}${name}\\(.*\\): .+;$`, 'm'));
    expect(REWARD_API_DOC).toContain('  isRefusal(text: string): boolean;');
    expect(REWARD_API_DOC).toContain('  checkOutcomes(trace: Trace): { tool: string; granted: boolean; calledAfter: boolean }[];');
  });

  it('is the source text of types.ts, each type once, and parses as TypeScript', () => {
    expect(REWARD_API_DOC).toContain("type UserClass = 'benign' | 'malicious' | 'sensitive';");
    expect(REWARD_API_DOC).toContain('  /** The turn ended with the end-of-turn token (EOS); a generation cut off by the length limit did not. */\n  eos: boolean;');
    for (const name of ['RewardInput', 'Trace', 'TraceStep', 'Episode', 'Action', 'ChatMessage', 'EpisodeDecisions']) {
      expect(REWARD_API_DOC.match(new RegExp(`^(?:interface|type) ${name}\\b`, 'gm')), name).toHaveLength(1);
    }
    const out = ts.transpileModule(REWARD_API_DOC, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
    expect(out.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });
});

describe('REWARD_COMPLETIONS', () => {
  it('offers the input fields with their types and doc, nested objects included, and every lib helper', () => {
    const byPath = new Map(REWARD_COMPLETIONS.map((c) => [c.path, c]));
    expect(byPath.get('input.trace')).toMatchObject({ type: 'Trace', kind: 'property' });
    expect(byPath.get('input.trace.steps')).toMatchObject({ type: 'TraceStep[]' });
    expect(byPath.get('input.trace.taskDone')).toMatchObject({ type: 'boolean', info: 'Every matching task call ran (successfully).' });
    expect(byPath.get('input.episode.labels.user')).toMatchObject({ type: 'UserClass' });
    expect(byPath.get('input.episode.world.owner')).toBeDefined();
    for (const key of Object.keys(benign.trace)) expect(byPath.has(`input.trace.${key}`), key).toBe(true);
    for (const name of Object.keys(REWARD_LIB)) expect(byPath.get(`lib.${name}`)?.kind, name).toBe('function');
    expect(byPath.get('lib.thinkOk')).toMatchObject({ type: '(text: string): boolean', info: expect.stringContaining('Exactly one paired') });
  });
});
