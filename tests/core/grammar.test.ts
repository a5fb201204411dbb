// The turn grammar on a byte-level vocabulary (every byte a token, plus the special tokens): what it lets through and
// what it stops, decoded character by character.
import { describe, expect, it } from 'vitest';
import { TokenMasker, TurnConstraint, hasToken, onlyToken, tokenCount, turnContext, type TokenSet } from '../../src/core/grammar';
import { SPECIAL_TOKENS, parseTurn, REFUSAL_SENTENCES, toolHeader } from '../../src/core/protocol';
import type { ToolSpec } from '../../src/core/types';

const specials: string[] = [...SPECIAL_TOKENS];
const BYTE0 = specials.length;
const masker = new TokenMasker({
  size: BYTE0 + 256,
  pieces: [...specials.map(() => null), ...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b))],
  specials: new Map(specials.map((t, i) => [i, t])),
  eosId: specials.indexOf('<|end|>'),
});

const tools: ToolSpec[] = [
  {
    name: 'read_bill',
    description: 'Read a bill.',
    parameters: { type: 'object', properties: { bill_id: { type: 'string' } }, required: ['bill_id'] },
    sensitive: false,
  },
  {
    name: 'pay_bill',
    description: 'Pay a bill.',
    parameters: {
      type: 'object',
      properties: { payee_account: { type: 'string' }, amount: { type: 'number' }, speed: { type: 'string', enum: ['normal', 'fast'] } },
      required: ['payee_account', 'amount'],
    },
    sensitive: true,
  },
];
const messages = [{ role: 'user' as const, content: 'Pay bill bill-417 (EXT-45859, $24.50) now, st-87.' }];

/** Token ids of a text: specials as their ids, other characters as byte tokens. */
function ids(text: string): number[] {
  const out: number[] = [];
  const re = new RegExp(specials.map((s) => s.replace(/[|[\]\\/()]/g, '\\$&')).join('|'), 'g');
  let at = 0;
  for (const m of text.matchAll(re)) {
    for (const b of new TextEncoder().encode(text.slice(at, m.index))) out.push(BYTE0 + b);
    out.push(specials.indexOf(m[0]));
    at = m.index + m[0].length;
  }
  for (const b of new TextEncoder().encode(text.slice(at))) out.push(BYTE0 + b);
  return out;
}

/** Where the grammar first rejects the text, or -1 when every token is allowed. */
function firstRejection(text: string, budget = 200): number {
  const c = new TurnConstraint(masker, turnContext(tools, messages), budget);
  const tokens = ids(text);
  for (let i = 0; i < tokens.length; i++) {
    if (!hasToken(c.allowed(), tokens[i] as number)) return i;
    c.advance(tokens[i] as number);
  }
  return -1;
}
const accepts = (text: string, budget?: number): boolean => firstRejection(text, budget) === -1;
/** The header a think opens with to call or ask about a listed tool (name, [sensitive] mark, a space). */
const head = (tool: string | ToolSpec): string => `${toolHeader(typeof tool === 'string' ? (tools.find((t) => t.name === tool) as ToolSpec) : tool)} `;
const char = (c: string): number => BYTE0 + c.charCodeAt(0);

describe('the turn grammar', () => {
  it('accepts well-formed turns of every kind', () => {
    expect(accepts(`<think>${head('pay_bill')}Pay it.</think><tool_call>{"name":"pay_bill","arguments":{"payee_account":"EXT-45859","amount":24.5}}</tool_call><|end|>`)).toBe(true);
    expect(accepts(`<think>${head('pay_bill')}</think><tool_call>{"name":"pay_bill","arguments":{"speed":"fast","amount":417,"payee_account":"st-87"}}</tool_call><|end|>`)).toBe(true);
    expect(accepts(`<think>${head('pay_bill')}Sensitive.</think><tool_check>pay_bill</tool_check><|end|>`)).toBe(true);
    expect(accepts('<think>x</think><answer>Done: paid.</answer><|end|>')).toBe(true);
    expect(accepts(`<think>No.</think>${REFUSAL_SENTENCES[0]}<|end|>`)).toBe(true);
  });

  it('names only listed tools, in the think\'s header and in the call or check that follows it', () => {
    expect(accepts('<think>Tool: send_money. </think><tool_call>')).toBe(false);
    expect(accepts('<think>Tool: pay_bills. </think><tool_check>')).toBe(false);
    expect(accepts(`<think>${head('pay_bill')}</think><tool_check>pay_bill</tool_check>`)).toBe(true);
    // The call or check is of the tool the think's header named; a think without a header may act on any listed tool
    // (checkpoints made before headers write none) but may not start as a header does.
    expect(accepts(`<think>${head('read_bill')}</think><tool_check>pay_bill`)).toBe(false);
    expect(accepts(`<think>${head('read_bill')}</think><tool_call>{"name":"pay_bill"`)).toBe(false);
    expect(accepts(`<think>${head('read_bill')}</think><tool_call>{"name":"read_bill"`)).toBe(true);
    expect(accepts('<think>Pay it.</think><tool_check>pay_bill</tool_check>')).toBe(true);
    expect(accepts('<think>Tool: x. </think>')).toBe(false);
    expect(accepts('<think>Too</think><answer>ok</answer><|end|>')).toBe(true);
    // The header writes the tool's [sensitive] mark as the list does, and only there.
    expect(accepts('<think>Tool: pay_bill. </think><tool_check>')).toBe(false);
    expect(accepts('<think>Tool: read_bill [sensitive]. </think><tool_call>')).toBe(false);
  });

  it('copies string values as whole spans of the outside text', () => {
    const call = (v: string): string => `<think>${head('read_bill')}</think><tool_call>{"name":"read_bill","arguments":{"bill_id":"${v}"}}`;
    expect(accepts(call('bill-417'))).toBe(true);
    expect(accepts(call('bill-4170'))).toBe(false);
    // A span neither starts nor ends inside a word: "87" is part of st-87, "bill-41" of bill-417.
    expect(accepts(call('87'))).toBe(false);
    expect(accepts(call('bill-41'))).toBe(false);
    expect(accepts(call('EXT-45859, $24.50'))).toBe(true);
  });

  it('takes numbers from the conversation, written as JSON writes them', () => {
    const call = (n: string): string => `<think>${head('pay_bill')}</think><tool_call>{"name":"pay_bill","arguments":{"payee_account":"EXT-45859","amount":${n}}}`;
    expect(accepts(call('24.5'))).toBe(true);
    expect(accepts(call('417'))).toBe(true);
    expect(accepts(call('25'))).toBe(false);
    expect(accepts(call('24.50'))).toBe(false);
  });

  it('keeps numbers inside the schema\'s minimum, also where the conversation offers none', () => {
    const tool: ToolSpec = { name: 'tip', description: '', parameters: { type: 'object', properties: { amount: { type: 'number', minimum: 0 } }, required: ['amount'] }, sensitive: false };
    const noNumbers = new TurnConstraint(masker, turnContext([tool], [{ role: 'user', content: 'Leave a tip.' }]), 200);
    for (const t of ids(`<think>${head(tool)}</think><tool_call>{"name":"tip","arguments":{"amount":`)) noNumbers.advance(t);
    expect(hasToken(noNumbers.allowed(), char('-'))).toBe(false);
    expect(hasToken(noNumbers.allowed(), char('7'))).toBe(true);
    const negative = new TurnConstraint(masker, turnContext([tool], [{ role: 'user', content: 'Tip 5 or 0.5, not -3.' }]), 200);
    for (const t of ids(`<think>${head(tool)}</think><tool_call>{"name":"tip","arguments":{"amount":`)) negative.advance(t);
    expect(hasToken(negative.allowed(), char('5'))).toBe(true);
    expect(hasToken(negative.allowed(), char('-'))).toBe(false);
    // A positive minimum with no number in the conversation that meets it: no 0, no 0.5, and above 1 enough digits.
    const fromMin = (minimum: number, integer: boolean) => {
      const type = integer ? 'integer' : 'number';
      const t: ToolSpec = { name: 'buy', description: '', parameters: { type: 'object', properties: { quantity: { type, minimum } }, required: ['quantity'] }, sensitive: false };
      return (n: string): boolean => {
        const c = new TurnConstraint(masker, turnContext([t], [{ role: 'user', content: 'Buy 0 of them.' }]), 200);
        for (const id of ids(`<think>${head(t)}</think><tool_call>{"name":"buy","arguments":{"quantity":${n}}}</tool_call>`)) {
          if (!hasToken(c.allowed(), id)) return false;
          c.advance(id);
        }
        return true;
      };
    };
    const one = fromMin(1, true);
    expect([one('0'), one('1'), one('12'), one('01')]).toEqual([false, true, true, false]);
    const half = fromMin(1, false);
    expect([half('0.5'), half('1.5'), half('3')]).toEqual([false, true, true]);
    const five = fromMin(5, true);
    expect([five('7'), five('10'), five('0')]).toEqual([false, true, false]);
  });

  it('asks for every required argument, each once, and only the schema\'s keys', () => {
    expect(accepts(`<think>${head('pay_bill')}</think><tool_call>{"name":"pay_bill","arguments":{"amount":417}}`)).toBe(false);
    expect(accepts(`<think>${head('pay_bill')}</think><tool_call>{"name":"pay_bill","arguments":{"amount":417,"amount"`)).toBe(false);
    expect(accepts(`<think>${head('pay_bill')}</think><tool_call>{"name":"pay_bill","arguments":{"memo"`)).toBe(false);
    expect(accepts(`<think>${head('pay_bill')}</think><tool_call>{"name":"pay_bill","arguments":{"payee_account":"st-87","amount":417,"speed":"slow"`)).toBe(false);
  });

  it('keeps tags out of free text, so a special token can only be its own id', () => {
    expect(firstRejection('<think>a <tool_call>')).toBe(3);
    expect(accepts('<think>ok</think><answer>1 < 2</answer>')).toBe(false);
  });

  it('fixes the wording of a refusal, never the choice to refuse', () => {
    expect(accepts('<think></think>I will not.<|end|>')).toBe(false);
    const c = new TurnConstraint(masker, turnContext(tools, messages), 200);
    for (const t of ids(`<think>${head('pay_bill')}hm</think>`)) c.advance(t);
    const set = c.allowed();
    for (const open of ['<tool_call>', '<tool_check>', '<answer>']) expect(hasToken(set, specials.indexOf(open))).toBe(true);
    expect(hasToken(set, char('I'))).toBe(true);
    expect(tokenCount(set)).toBe(4);
    const unnamed = new TurnConstraint(masker, turnContext(tools, messages), 200);
    for (const t of ids('<think>hm</think>')) unnamed.advance(t);
    expect(tokenCount(unnamed.allowed())).toBe(4);
    for (const sentence of REFUSAL_SENTENCES) expect(parseTurn(`<think></think>${sentence}<|end|>`, tools).action.kind).toBe('refuse');
  });

  it('lets a turn through only where it can still finish within its token budget', () => {
    // Greedy on letters, the turn would think forever; with 8 tokens the grammar closes it in time.
    const c = new TurnConstraint(masker, turnContext(tools, messages), 8);
    const taken: number[] = [];
    for (let i = 0; i < 8; i++) {
      const set: TokenSet = c.allowed();
      // Greedy on "the longest text": the first allowed ordinary byte, else the first allowed special.
      let pick = -1;
      for (let id = BYTE0 + 0x61; id < BYTE0 + 0x7b && pick < 0; id++) if (hasToken(set, id)) pick = id;
      if (pick < 0) for (let id = 0; id < BYTE0 + 256 && pick < 0; id++) if (hasToken(set, id)) pick = id;
      taken.push(pick);
      c.advance(pick);
      if (pick === specials.indexOf('<|end|>')) break;
    }
    const text = taken.map((id) => (id < BYTE0 ? specials[id] : String.fromCharCode(id - BYTE0))).join('');
    expect(text.endsWith('<|end|>')).toBe(true);
    expect(parseTurn(text, tools).action.kind).not.toBe('malformed');
  });

  it('emits a single allowed token as forced', () => {
    const c = new TurnConstraint(masker, turnContext(tools, messages), 50);
    expect(onlyToken(c.allowed())).toBe(specials.indexOf('<think>'));
  });
});
