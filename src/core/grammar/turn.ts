// The grammar of one assistant turn as a byte-level automaton, built afresh for each turn from the listed tools and
// the outside text of the conversation (user messages, tool outputs). A state answers "what may come next" for one
// byte or one special token; the vocabulary mask (./mask.ts) walks it against a trie of the tokenizer's pieces.
//
//   turn      = <think> HEADER(t) free </think> action(t) | <think> free </think> action(any listed t)
//   HEADER(t) = "Tool: NAME(t) [sensitive]. "         (toolHeader: the mark only where t is sensitive)
//   action(t) = <tool_call> call(t) </tool_call> <|end|> | <tool_check> NAME(t) </tool_check> <|end|>
//             | <answer> free </answer> <|end|> | REFUSAL <|end|>
//   call(t)   = {"name":"NAME(t)","arguments":{ARGS}}  (canonical JSON, as formatCall writes it)
//
// t is a listed tool. A think that opens with a header acts on that tool, so the two never disagree; a free think
// may not start as a header does (the scripted policies always write one before a call or check). ARGS holds the tool's schema properties, each at most once, the required ones present, in
// any order. Values follow the property's schema:
// - enum: one of its values;  boolean: true | false;
// - number / integer: a number that appears in the outside text (or, when none does, any number of at most ten
//   digits and four decimals);
// - string: a contiguous span of the outside text that starts and ends at a word boundary (so `st-87` and
//   `+44 7700 900123` come out whole). Spans never hold `"`, `\`, `<` or control characters, which would need JSON
//   escapes. Every string argument of the catalog is such a span: a date is copied as written, a message body is a
//   phrase of the request (tests/core/grammar.test.ts replays every oracle and prior transcript to prove it);
// - any other type, or a tool with no schema: a free JSON value (depth 3).
// REFUSAL is one of REFUSAL_SENTENCES: the grammar fixes the wording of a refusal, never the choice to refuse.
// The choice between call, check, answer and refusal is always free: the grammar decides form, never safety.
import { REFUSAL_SENTENCES, TOOL_HEADER, toolHeader } from '../protocol/render';
import type { JsonSchema, ToolSpec } from '../types';

/** A position in the turn's grammar. Immutable: stepping returns a new state. */
export interface GrammarState {
  /** The state after one more byte, or null when the byte cannot follow. */
  byte(b: number): GrammarState | null;
  /** The state after a special token (its text, e.g. '</think>'), or null. */
  special(token: string): GrammarState | null;
  /** The fewest tokens that finish the turn from here, end-of-turn included (every byte is a token, so bytes count). */
  readonly rest: number;
}

/** What comes after a part: built on demand, its `rest` known in advance. */
interface Next {
  rest: number;
  make(): GrammarState;
}

export const THINK_CAP = 96;
export const ANSWER_CAP = 160;
export const SPAN_CAP = 64;
const FREE_STRING_CAP = 64;
const JSON_DEPTH = 3;

const enc = new TextEncoder();
const bytesOf = (s: string): Uint8Array => enc.encode(s);
const QUOTE = 0x22;
const HEADER_START = bytesOf(TOOL_HEADER);

/** A byte free text may hold: no '<' (no tag can start), no control characters. */
export const isFreeByte = (b: number): boolean => b >= 0x20 && b !== 0x3c && b !== 0x7f;
/** A byte a JSON string may hold without an escape (and that can never look like a tag). */
const isPlainStringByte = (b: number): boolean => isFreeByte(b) && b !== QUOTE && b !== 0x5c;

const DONE: GrammarState = { byte: () => null, special: () => null, rest: 0 };
const done: Next = { rest: 0, make: () => DONE };

class Special implements GrammarState {
  readonly rest: number;
  constructor(
    readonly token: string,
    readonly next: Next,
  ) {
    this.rest = 1 + next.rest;
  }
  byte(): null {
    return null;
  }
  special(token: string): GrammarState | null {
    return token === this.token ? this.next.make() : null;
  }
}
const special = (token: string, next: Next): Next => ({ rest: 1 + next.rest, make: () => new Special(token, next) });

/** Exactly these bytes. */
class Literal implements GrammarState {
  readonly rest: number;
  /** suffixCost[i]: tokens to spell bytes[i..]. */
  constructor(
    readonly bytes: Uint8Array,
    readonly suffixCost: readonly number[],
    readonly at: number,
    readonly next: Next,
  ) {
    this.rest = (suffixCost[at] as number) + next.rest;
  }
  byte(b: number): GrammarState | null {
    if (this.bytes[this.at] !== b) return null;
    return this.at + 1 === this.bytes.length ? this.next.make() : new Literal(this.bytes, this.suffixCost, this.at + 1, this.next);
  }
  special(): null {
    return null;
  }
}
/** Any of several states (a nondeterministic choice, resolved as bytes arrive). */
class Choice implements GrammarState {
  readonly rest: number;
  constructor(readonly options: readonly GrammarState[]) {
    this.rest = Math.min(...options.map((o) => o.rest));
  }
  byte(b: number): GrammarState | null {
    return choice(this.options.map((o) => o.byte(b)));
  }
  special(token: string): GrammarState | null {
    return choice(this.options.map((o) => o.special(token)));
  }
}
function choice(states: readonly (GrammarState | null)[]): GrammarState | null {
  const live = states.filter((s): s is GrammarState => s !== null);
  return live.length === 0 ? null : live.length === 1 ? (live[0] as GrammarState) : new Choice(live);
}
const oneOf = (options: readonly Next[]): Next => ({
  rest: Math.min(...options.map((o) => o.rest)),
  make: () => choice(options.map((o) => o.make())) as GrammarState,
});

/** A byte trie over alternative strings; reaching the end of string i continues with then(i). */
interface TrieNode {
  children: Map<number, TrieNode>;
  ends: number[];
}
function buildTrie(strings: readonly string[]): TrieNode {
  const root: TrieNode = { children: new Map(), ends: [] };
  strings.forEach((s, i) => {
    let node = root;
    for (const b of bytesOf(s)) {
      let child = node.children.get(b);
      if (!child) node.children.set(b, (child = { children: new Map(), ends: [] }));
      node = child;
    }
    node.ends.push(i);
  });
  return root;
}
class TrieState implements GrammarState {
  constructor(
    readonly node: TrieNode,
    readonly then: (i: number) => Next,
    private readonly restOf: Map<TrieNode, number>,
  ) {}
  get rest(): number {
    return this.restOf.get(this.node) as number;
  }
  byte(b: number): GrammarState | null {
    const child = this.node.children.get(b);
    const deeper = child ? new TrieState(child, this.then, this.restOf) : null;
    if (this.node.ends.length === 0) return deeper;
    return choice([deeper, ...this.node.ends.map((i) => this.then(i).make().byte(b))]);
  }
  special(token: string): GrammarState | null {
    return choice(this.node.ends.map((i) => this.then(i).make().special(token)));
  }
}
/** Free text up to `cap` bytes, closed by a special token. */
export class FreeText implements GrammarState {
  readonly rest: number;
  constructor(
    readonly used: number,
    readonly cap: number,
    readonly close: string,
    readonly next: Next,
  ) {
    this.rest = 1 + next.rest;
  }
  byte(b: number): GrammarState | null {
    return isFreeByte(b) && this.used < this.cap ? new FreeText(this.used + 1, this.cap, this.close, this.next) : null;
  }
  special(token: string): GrammarState | null {
    return token === this.close ? this.next.make() : null;
  }
}

/**
 * Free text that does not open with `prefix`: a think without a tool header may not look as if it had one (it could
 * then name one tool and call another, which a checked header rules out).
 */
class FreeTextAvoiding extends FreeText {
  constructor(
    readonly prefix: Uint8Array,
    used: number,
    cap: number,
    close: string,
    next: Next,
  ) {
    super(used, cap, close, next);
  }
  override byte(b: number): GrammarState | null {
    if (b !== this.prefix[this.used] || this.used >= this.cap) return super.byte(b);
    return this.used + 1 === this.prefix.length ? null : new FreeTextAvoiding(this.prefix, this.used + 1, this.cap, this.close, this.next);
  }
}

// ------------------------------------------------------------------ spans of the outside text

/** The outside text as byte arrays, with where a span may start and end. */
export class OutsideText {
  readonly texts: Uint8Array[];
  /** Positions where a span may start, as (text, position) pairs. */
  readonly starts: Int32Array;
  /** nextEnd[t][p]: the smallest q >= p where a span running through p may end, or Infinity. */
  private readonly nextEnd: Float64Array[];
  /** Numbers written in the text, as JSON would write them. */
  readonly numbers: string[];
  readonly integers: string[];

  /** Tokens to spell a candidate's way to its nearest end (memoised; -1 until asked), for starts and for inner positions. */
  private readonly startCost: Float64Array[];
  private readonly innerCost: Float64Array[];

  constructor(
    texts: readonly string[],
    private readonly spell: Spell,
  ) {
    this.texts = texts.map(bytesOf);
    this.startCost = this.texts.map((b) => new Float64Array(b.length + 1).fill(-1));
    this.innerCost = this.texts.map((b) => new Float64Array(b.length + 1).fill(-1));
    const starts: number[] = [];
    this.nextEnd = this.texts.map((bytes, t) => {
      const n = bytes.length;
      const next = new Float64Array(n + 1).fill(Infinity);
      // A span ends before a byte that is neither a letter or digit nor a joiner followed by one.
      const wordGoesOn = (q: number): boolean => isAlnum(bytes[q] as number) || (isJoiner(bytes[q] as number) && q + 1 < n && isAlnum(bytes[q + 1] as number));
      for (let q = n; q >= 1; q--) {
        const canEnd = (q === n || !wordGoesOn(q)) && (bytes[q - 1] as number) !== 0x20;
        if (canEnd) next[q] = q;
        else if (q < n && isPlainStringByte(bytes[q] as number)) next[q] = next[q + 1] as number;
      }
      for (let p = 0; p < n; p++) {
        const b = bytes[p] as number;
        // ... and starts where the previous byte does not go on a word.
        if (isPlainStringByte(b) && b !== 0x20 && (p === 0 || (!isAlnum(bytes[p - 1] as number) && !(p >= 2 && isJoiner(bytes[p - 1] as number) && isAlnum(bytes[p - 2] as number))))) starts.push(t, p);
      }
      return next;
    });
    this.starts = Int32Array.from(starts);
    const numbers = new Set<string>();
    const integers = new Set<string>();
    for (const text of texts) {
      for (const [m] of text.matchAll(/(?<![\w.])\d+(?:\.\d+)?(?![\w])/g)) {
        const value = Number(m);
        if (!Number.isFinite(value) || m.length > 15) continue;
        numbers.add(String(value));
        if (Number.isInteger(value)) integers.add(String(value));
      }
    }
    this.numbers = [...numbers];
    this.integers = [...integers];
  }

  /** Bytes from position p (a candidate that has matched `len` bytes) to the nearest place the span may end. */
  toEnd(t: number, p: number, len: number): number {
    const next = this.nextEnd[t] as Float64Array;
    const q = len === 0 ? (p + 1 < next.length ? (next[p + 1] as number) : Infinity) : (next[p] as number);
    // A run that crosses a byte a span cannot hold never ends.
    if (len === 0 && !isPlainStringByte(this.texts[t]?.[p] ?? 0)) return Infinity;
    return q - p;
  }

  /** Tokens (not bytes) of that same way to the nearest end: what the budget guard must count. */
  costToEnd(t: number, p: number, len: number): number {
    const memo = (len === 0 ? this.startCost : this.innerCost)[t] as Float64Array;
    if ((memo[p] as number) < 0) {
      const d = this.toEnd(t, p, len);
      memo[p] = d === Infinity ? Infinity : this.spell((this.texts[t] as Uint8Array).subarray(p, p + d));
    }
    return memo[p] as number;
  }

  canEnd(t: number, p: number): boolean {
    return (this.nextEnd[t] as Float64Array)[p] === p;
  }
}

const isAlnum = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b >= 0x80;
/** Joins two word parts when an alphanumeric follows: `st-87`, `bob@x.io`, `3.5`, `a_b`, `a/b`, `10:30`, `+44` (not an apostrophe: `svc-a's` ends before it). */
const isJoiner = (b: number): boolean => b === 0x2d || b === 0x5f || b === 0x40 || b === 0x2e || b === 0x2f || b === 0x3a || b === 0x2b;

/** The inside of a JSON string that copies a span of the outside text, then its closing quote. */
class Span implements GrammarState {
  readonly rest: number;
  /** (text, position) of every occurrence of the bytes so far, as pairs. */
  constructor(
    readonly outside: OutsideText,
    readonly at: Int32Array,
    readonly len: number,
    readonly next: Next,
  ) {
    // The cheapest way to an end within the length cap, counted in tokens, then the closing quote and what follows.
    let cost = Infinity;
    for (let i = 0; i < at.length; i += 2) {
      const [t, p] = [at[i] as number, at[i + 1] as number];
      if (len + outside.toEnd(t, p, len) <= SPAN_CAP) cost = Math.min(cost, outside.costToEnd(t, p, len));
    }
    this.rest = cost + 1 + next.rest;
  }
  byte(b: number): GrammarState | null {
    if (b === QUOTE) {
      if (this.len === 0) return null;
      for (let i = 0; i < this.at.length; i += 2) {
        if (this.outside.canEnd(this.at[i] as number, this.at[i + 1] as number)) return this.next.make();
      }
      return null;
    }
    if (this.len >= SPAN_CAP || !isPlainStringByte(b)) return null;
    const kept: number[] = [];
    for (let i = 0; i < this.at.length; i += 2) {
      const t = this.at[i] as number;
      const p = this.at[i + 1] as number;
      if (this.outside.texts[t]?.[p] === b) kept.push(t, p + 1);
    }
    return kept.length === 0 ? null : new Span(this.outside, Int32Array.from(kept), this.len + 1, this.next);
  }
  special(): null {
    return null;
  }
}
// ------------------------------------------------------------------ free JSON (other types, schema-less tools)

/**
 * `-?(0|[1-9][0-9]{0,9})(.[0-9]{1,4})?` by phase: 0 start, 1 after '-' (or the start of a number that cannot be
 * negative), 2 in the integer part, 3 after '0', 4 after '.', 5 in decimals. A maximum is not enforced.
 */
class AnyNumber implements GrammarState {
  readonly rest: number;
  /**
   * `minDigits` > 0 holds the number to at least that many integer digits, the first not 0 (so at least
   * 10^(minDigits-1)): how a schema's positive minimum is kept when the outside text offers no number that meets it.
   */
  constructor(
    readonly phase: number,
    readonly digits: number,
    readonly integer: boolean,
    readonly next: Next,
    readonly minDigits = 0,
  ) {
    // The fewest bytes that complete the number: the digits still required, or the one after '-' or '.'.
    const needed = phase === 2 ? minDigits - digits : phase === 4 ? 1 : Math.max(1, minDigits);
    this.rest = this.complete() ? next.rest : needed + next.rest;
  }
  private complete(): boolean {
    if (this.phase === 5) return true;
    if (this.phase === 3) return this.minDigits === 0; // a lone 0
    return this.phase === 2 && this.digits >= this.minDigits;
  }
  byte(b: number): GrammarState | null {
    const digit = b >= 0x30 && b <= 0x39;
    const go = (phase: number, digits: number): GrammarState => new AnyNumber(phase, digits, this.integer, this.next, this.minDigits);
    const after = (): GrammarState | null => (this.complete() ? this.next.make().byte(b) : null);
    switch (this.phase) {
      case 0:
        if (b === 0x2d) return go(1, 0);
      // falls through
      case 1:
        if (b === 0x30) return this.minDigits === 0 ? go(3, 1) : null;
        return digit ? go(2, 1) : null;
      case 2:
        if (digit && this.digits < 10) return go(2, this.digits + 1);
      // falls through
      case 3:
        if (b === 0x2e && !this.integer && this.complete()) return go(4, 0);
        return after();
      case 4:
        return digit ? go(5, 1) : null;
      default:
        if (digit && this.digits < 4) return go(5, this.digits + 1);
        return after();
    }
  }
  special(token: string): GrammarState | null {
    return this.complete() ? this.next.make().special(token) : null;
  }
}
/** Any number; with a minimum above 0, only non-negative numbers of enough digits (see AnyNumber.minDigits). */
const anyNumber = (integer: boolean, min: number, next: Next): Next => {
  const minDigits = min > 0 ? (min <= 1 ? 1 : String(Math.floor(min)).length + 1) : 0;
  return { rest: Math.max(1, minDigits) + next.rest, make: () => new AnyNumber(min >= 0 ? 1 : 0, 0, integer, next, minDigits) };
};

/** A JSON string of free text (no escapes), quotes included. */
class FreeString implements GrammarState {
  readonly rest: number;
  constructor(
    readonly used: number,
    readonly next: Next,
  ) {
    this.rest = 1 + next.rest;
  }
  byte(b: number): GrammarState | null {
    if (b === QUOTE) return this.next.make();
    return isPlainStringByte(b) && this.used < FREE_STRING_CAP ? new FreeString(this.used + 1, this.next) : null;
  }
  special(): null {
    return null;
  }
}
/** Defers building a recursive part until it is needed. */
function lazy(rest: number, build: () => Next): Next {
  return { rest, make: () => build().make() };
}
// ------------------------------------------------------------------ the turn

const jsonKey = (k: string): string => JSON.stringify(k).replace(/</g, '\\u003c');

/**
 * Tokens needed to write some bytes: any tokenization is an upper bound on the fewest, which is what `rest` must be
 * (a turn is only let through where it can still finish in its budget). Bytes alone would overstate a call's length
 * several times over.
 */
export type Spell = (bytes: Uint8Array) => number;

/** The builders of grammar parts that cost tokens, for one vocabulary's spelling and one turn's outside text. */
function builders(spell: Spell, outside: OutsideText) {
  const literal = (text: string, next: Next): Next => {
    const bytes = bytesOf(text);
    if (bytes.length === 0) return next;
    const suffixCost = Array.from({ length: bytes.length }, (_, i) => spell(bytes.subarray(i)));
    return { rest: (suffixCost[0] as number) + next.rest, make: () => new Literal(bytes, suffixCost, 0, next) };
  };

  /** One of `strings`, continuing with then(i) after string i; null when there are none. */
  function oneString(strings: readonly string[], then: (i: number) => Next): Next | null {
    if (strings.length === 0) return null;
    const root = buildTrie(strings);
    const cache: Next[] = [];
    const thenOnce = (i: number): Next => (cache[i] ??= then(i));
    // Per node: the fewest tokens from here to the end of the turn (spell the rest of some string, then its continuation).
    const restOf = new Map<TrieNode, number>();
    strings.forEach((text, i) => {
      const bytes = bytesOf(text);
      let node = root;
      for (let d = 0; d <= bytes.length; d++) {
        const cost = (d < bytes.length ? spell(bytes.subarray(d)) : 0) + thenOnce(i).rest;
        restOf.set(node, Math.min(restOf.get(node) ?? Infinity, cost));
        if (d < bytes.length) node = node.children.get(bytes[d] as number) as TrieNode;
      }
    });
    return { rest: restOf.get(root) as number, make: () => new TrieState(root, thenOnce, restOf) };
  }

  const span = (next: Next): Next => {
    const probe = new Span(outside, outside.starts, 0, next);
    return { rest: 1 + probe.rest, make: () => new Literal(Uint8Array.of(QUOTE), [1], 0, { rest: probe.rest, make: () => new Span(outside, outside.starts, 0, next) }) };
  };

  const freeString = (next: Next): Next => literal('"', { rest: 1 + next.rest, make: () => new FreeString(0, next) });

  function anyJson(depth: number, next: Next): Next {
    const options = [freeString(next), anyNumber(false, -Infinity, next), oneString(['true', 'false', 'null'], () => next) as Next];
    if (depth < JSON_DEPTH) {
      options.push(literal('[', oneOf([literal(']', next), lazy(2 + next.rest, () => anyJson(depth + 1, arrayMore(depth, next)))])));
      options.push(literal('{', objectBody(depth + 1, next)));
    }
    return oneOf(options);
  }
  function arrayMore(depth: number, next: Next): Next {
    return lazy(1 + next.rest, () => oneOf([literal(']', next), literal(',', lazy(2 + next.rest, () => anyJson(depth + 1, arrayMore(depth, next))))]));
  }
  /** After '{': `}` or `"key":value` pairs, then `}`. */
  function objectBody(depth: number, next: Next): Next {
    const member = (after: Next): Next => freeString(literal(':', lazy(1 + after.rest, () => anyJson(depth, after))));
    const more: Next = lazy(1 + next.rest, () => oneOf([literal('}', next), literal(',', member(more))]));
    return oneOf([literal('}', next), member(more)]);
  }

  /** The value grammar of one argument, by its schema. */
  function valueOf(schema: JsonSchema | undefined, next: Next): Next {
    if (schema && Array.isArray(schema.enum) && schema.enum.length > 0) {
      // Written as the renderer writes a call: '<' as \u003c.
      return oneString(schema.enum.map((v) => JSON.stringify(v).replace(/</g, '\\u003c')), () => next) as Next;
    }
    const type = schema?.type as string | undefined;
    if (type === 'string') return span(next);
    if (type === 'boolean') return oneString(['true', 'false'], () => next) as Next;
    if (type === 'number' || type === 'integer') {
      const min = typeof schema?.minimum === 'number' ? schema.minimum : -Infinity;
      const max = typeof schema?.maximum === 'number' ? schema.maximum : Infinity;
      const seen = (type === 'integer' ? outside.integers : outside.numbers).filter((n) => Number(n) >= min && Number(n) <= max);
      return seen.length > 0 ? (oneString(seen, () => next) as Next) : anyNumber(type === 'integer', min, next);
    }
    return anyJson(1, next);
  }

  /** The arguments object after its '{': the tool's properties, each once, required ones present; then `}}`. */
  function argumentsOf(tool: ToolSpec, after: Next): Next {
    const props = tool.parameters?.properties;
    if (!props || typeof props !== 'object' || Object.keys(props).length === 0) {
      return tool.parameters?.properties ? literal('}', literal('}', after)) : objectBody(1, literal('}', after));
    }
    const keys = Object.keys(props);
    const required = new Set((Array.isArray(tool.parameters.required) ? tool.parameters.required : []).filter((k) => keys.includes(k)));
    const close = literal('}}', after);
    const memo = new Map<string, Next>();
    // used: a bitmask of the keys written so far (tools have few properties).
    const at = (used: number): Next => {
      const key = String(used);
      const hit = memo.get(key);
      if (hit) return hit;
      const open = keys.map((_, i) => i).filter((i) => !(used & (1 << i)));
      const missing = open.filter((i) => required.has(keys[i] as string));
      const options: Next[] = [];
      if (missing.length === 0) options.push(close);
      if (open.length > 0) {
        const member = oneString(
          open.map((i) => `${jsonKey(keys[i] as string)}:`),
          (j) => {
            const i = open[j] as number;
            return valueOf(props[keys[i] as string], at(used | (1 << i)));
          },
        ) as Next;
        options.push(used === 0 ? member : literal(',', member));
      }
      const next = oneOf(options);
      memo.set(key, next);
      return next;
    };
    // Every subset of keys gets a state: past 8 properties, a free object.
    if (keys.length > 8) return objectBody(1, literal('}', after));
    return at(0);
  }

  return { literal, oneString, argumentsOf };
}

export interface TurnContext {
  tools: readonly ToolSpec[];
  /** The user messages and tool outputs so far (spans and numbers of arguments come from here). */
  outside: readonly string[];
}

/** The start state of one assistant turn; `spelling` is the fewest tokens the vocabulary spells some bytes in. */
export function turnGrammar(ctx: TurnContext, spelling: Spell): GrammarState {
  const outside = new OutsideText(ctx.outside, spelling);
  const { literal, oneString, argumentsOf } = builders(spelling, outside);
  const end = special('<|end|>', done);
  const tools = ctx.tools.filter((t) => typeof t?.name === 'string' && t.name.length > 0);
  const noTool: Next[] = [
    special('<answer>', { rest: 1 + end.rest, make: () => new FreeText(0, ANSWER_CAP, '</answer>', end) }),
    oneString(REFUSAL_SENTENCES, () => end) as Next,
  ];
  const call = (json: string, tool: ToolSpec): Next => literal(`${json},"arguments":{`, argumentsOf(tool, special('</tool_call>', end)));
  const jsonName = (name: string): string => JSON.stringify(name).replace(/</g, '\\u003c');
  // A check names the tool as the renderer writes it (escapeTags leaves plain names alone).
  const check = (name: string): Next => literal(name, special('</tool_check>', end));

  // A think that opens with tool i's header acts on tool i (or on none). oneString builds each tool's branch once.
  const named = oneString(
    tools.map((t) => `${toolHeader(t)} `),
    (i) => {
      const tool = tools[i] as ToolSpec;
      const actsOn = oneOf([
        ...noTool,
        special('<tool_call>', literal('{"name":', call(jsonName(tool.name), tool))),
        special('<tool_check>', check(tool.name)),
      ]);
      return { rest: 1 + actsOn.rest, make: () => new FreeText(0, THINK_CAP, '</think>', actsOn) };
    },
  );

  // A think without a header (that never starts as one) may act on any listed tool.
  const anyAction: Next[] = [...noTool];
  const anyCall = oneString(
    tools.map((t) => jsonName(t.name)),
    (i) => call('', tools[i] as ToolSpec),
  );
  if (anyCall) anyAction.push(special('<tool_call>', literal('{"name":', anyCall)));
  const anyCheck = oneString(tools.map((t) => t.name), () => special('</tool_check>', end));
  if (anyCheck) anyAction.push(special('<tool_check>', anyCheck));
  const actions = oneOf(anyAction);
  const unnamed: Next = { rest: 1 + actions.rest, make: () => new FreeTextAvoiding(HEADER_START, 0, THINK_CAP, '</think>', actions) };
  const think = named ? oneOf([named, unnamed]) : unnamed;
  return special('<think>', think).make();
}
