// Property tests: thousands of random and mutated turns; the parser never throws and always says why it rejects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EOS,
  SPECIAL_TOKENS,
  escapeTags,
  formatAnswer,
  formatCall,
  formatCheck,
  formatRefusal,
  isRefusal,
  parseTurn,
  renderConversation,
} from '../../src/core/protocol';
import type { ChatMessage, Json, ParseError, ToolSpec } from '../../src/core/types';
import { TOOLS } from './protocol-fixtures';

const CODES: ParseError['code'][] = [
  'empty', 'unpaired_tag', 'nested_tag', 'unknown_tag', 'invalid_json', 'missing_name', 'missing_arguments',
  'unknown_tool', 'invalid_arguments', 'text_after_end', 'multiple_actions', 'no_action', 'too_long',
];

/** Runs the parser and checks the invariants every result must keep. */
function checked(text: string, tools: ToolSpec[] = TOOLS) {
  const result = parseTurn(text, tools);
  const { action, eos } = result;
  expect(typeof eos).toBe('boolean');
  if (action.kind === 'malformed') {
    expect(CODES).toContain(action.error.code);
    expect(action.error.message.length).toBeGreaterThan(0);
  }
  if (action.kind === 'refuse') expect(isRefusal(action.text)).toBe(true);
  if (action.kind === 'call') expect(tools.map((t) => t.name)).toContain(action.call.name);
  if (action.kind === 'check') expect(tools.map((t) => t.name)).toContain(action.tool);
  return result;
}

const PIECES = [
  ...SPECIAL_TOKENS,
  '<tool_calls>',
  '< think >',
  '</Answer>',
  '{"name": "send_money", "arguments": {"to": "a", "amount": 3}}',
  '{"name": "read_file", "arguments": {"name": "x"}}',
  '{"name": "nope", "arguments": {}}',
  '{"name": "read_file"}',
  '{',
  '}',
  '"',
  'send_money',
  'I cannot help with that.',
  'Sure!',
  ' ',
  '\n',
];
const soup = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 12 })
  .map((a) => a.join(''));

const jsonValue: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
const words = fc.string({ unit: 'grapheme', maxLength: 40 });

/** A valid turn built by the format functions. */
const validTurn = fc.oneof(
  fc.tuple(fc.option(words), fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 4 })).map(([t, args]) =>
    formatCall(t, { name: 'any_args', arguments: args }),
  ),
  fc.tuple(fc.option(words), fc.constantFrom('send_money', 'read_file')).map(([t, n]) => formatCheck(t, n)),
  fc.tuple(fc.option(words), words).map(([t, a]) => formatAnswer(t, a)),
  fc.option(words).map((t) => formatRefusal(t, 'I will not help with that.')),
);

type Mutation = (s: string, at: number, piece: string) => string;
const MUTATIONS: Mutation[] = [
  (s, at, piece) => s.slice(0, at) + piece + s.slice(at), // insert a tag or fragment
  (s, at) => s.slice(0, at) + s.slice(at + 1 + (at % 7)), // delete a span
  (s, at) => s.slice(0, at), // truncate
  (s, at) => s.slice(0, at) + s.slice(at, at + 12) + s.slice(at), // duplicate a span
  (s, at) => (at + 1 < s.length ? s.slice(0, at) + s[at + 1] + s[at] + s.slice(at + 2) : s), // swap chars
];
const mutated = fc
  .tuple(
    validTurn,
    fc.array(fc.tuple(fc.nat(MUTATIONS.length - 1), fc.nat(), fc.constantFrom(...PIECES)), { minLength: 1, maxLength: 4 }),
    fc.boolean(),
  )
  .map(([turn, muts, eos]) =>
    muts.reduce((s, [m, at, piece]) => MUTATIONS[m]!(s, s.length === 0 ? 0 : at % s.length, piece), turn + (eos ? EOS : '')),
  );

describe('parseTurn properties', () => {
  it('valid turns parse to their action, with or without EOS', () => {
    fc.assert(
      fc.property(validTurn, fc.boolean(), (turn, eos) => {
        const { action, eos: sawEos } = checked(turn + (eos ? EOS : ''));
        expect(action.kind).not.toBe('malformed');
        expect(sawEos).toBe(eos);
      }),
      { numRuns: 1500 },
    );
  });

  it('call arguments round-trip exactly (as JSON), whatever strings they hold', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), jsonValue, { maxKeys: 4 }), (args) => {
        const { action } = checked(formatCall('t', { name: 'any_args', arguments: args }));
        const asJson = JSON.parse(JSON.stringify(args)) as Json; // JSON has no -0
        expect(action).toEqual({ kind: 'call', think: 't', call: { name: 'any_args', arguments: asJson } });
      }),
      { numRuns: 1000 },
    );
  });

  it('answer text round-trips (trimmed) when it holds no tags', () => {
    fc.assert(
      fc.property(words, words, (think, text) => {
        const { action } = checked(formatAnswer(think, text));
        expect(action).toEqual({ kind: 'answer', think: escapeTags(think).trim(), text: escapeTags(text).trim() });
      }),
      { numRuns: 1000 },
    );
  });

  it('random strings never throw and are never a refusal', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 })), (s) => {
        expect(checked(s).action.kind).not.toBe('refuse');
      }),
      { numRuns: 3000 },
    );
  });

  it('tag soup and mutated valid turns never throw and always name a reason', () => {
    fc.assert(fc.property(soup, (s) => void checked(s)), { numRuns: 3000 });
    fc.assert(fc.property(mutated, (s) => void checked(s)), { numRuns: 3000 });
  });
});

describe('escaping properties', () => {
  it('escaped text holds no special token, and escaping twice changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(soup, fc.string({ maxLength: 60 })), (s) => {
        const e = escapeTags(s);
        for (const t of SPECIAL_TOKENS) expect(e).not.toContain(t);
        expect(escapeTags(e)).toBe(e);
      }),
      { numRuns: 2000 },
    );
  });

  it('a rendered conversation has exactly one role marker and one <|end|> per message, whatever the content', () => {
    const message: fc.Arbitrary<ChatMessage> = fc.oneof(
      soup.map((content) => ({ role: 'user' as const, content })),
      fc.tuple(fc.string({ maxLength: 8 }), soup).map(([name, content]) => ({ role: 'tool' as const, name, content })),
      fc.constantFrom('yes' as const, 'no' as const).map((content) => ({ role: 'check' as const, content })),
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), (messages) => {
        const text = renderConversation(messages);
        const markers = text.match(/<\|(?:system|user|assistant|tool|check|end|pad)\|>/g) ?? [];
        const expected = messages.flatMap((m) => [`<|${m.role}|>`, EOS]).concat('<|assistant|>');
        expect(markers).toEqual(expected);
        const inner = text.match(/<\/?tool_response>|<\/?tool_check_result>/g) ?? [];
        expect(inner.length).toBe(messages.filter((m) => m.role !== 'user').length * 2);
      }),
      { numRuns: 1000 },
    );
  });
});
