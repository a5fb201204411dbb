// The strict parser: one assistant turn -> one action, or 'malformed' with the exact reason. Never throws.
// Grammar: ws [<think>…</think> ws] (action ws | refusal text), optionally followed by EOS.
// 'multiple_actions' covers every "more than one thing where one belongs": two actions, two think blocks,
// or plain text beside an action (plain text is itself a reply, so text + call is two replies).
import { errorMessage } from '../errors';
import { isJsonObject, type Action, type Json, type ParseError, type ToolCall, type ToolSpec } from '../types';
import { validateArguments } from './args';
import { isRefusal } from './refusal';
import { EOS, close, open, scanTags, type TurnTag } from './tokens';

export const MAX_TURN_CHARS = 4000;

export interface ParseOptions {
  /**
   * Check a <tool_call>'s tool name and arguments against `tools` (default true). A sandbox that answers
   * unknown tools and bad arguments with a tool error instead passes false and gets the call back as parsed.
   */
  checkCalls?: boolean;
}

export interface ParsedTurn {
  action: Action;
  /** The turn ended with the end-of-turn token. */
  eos: boolean;
}

interface Block {
  tag: TurnTag;
  inner: string;
  start: number;
  end: number;
}

class TurnError extends Error {
  constructor(
    readonly code: ParseError['code'],
    message: string,
  ) {
    super(message);
  }
}

/** Short quote of offending text for messages. */
function quote(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t);
}

/** Pairs the tags into flat blocks, or throws the first pairing problem in text order. */
function blocksOf(body: string): Block[] {
  const blocks: Block[] = [];
  let openTag: { tag: TurnTag; start: number; end: number } | null = null;
  for (const t of scanTags(body)) {
    if (t.kind === 'foreign') throw new TurnError('unknown_tag', t.reason);
    if (!t.closing) {
      if (openTag) throw new TurnError('nested_tag', `${t.raw} inside ${open(openTag.tag)}; tags cannot nest`);
      openTag = { tag: t.tag, start: t.start, end: t.end };
    } else if (!openTag) {
      throw new TurnError('unpaired_tag', `${t.raw} without a matching ${open(t.tag)}`);
    } else if (openTag.tag !== t.tag) {
      throw new TurnError('unpaired_tag', `${t.raw} closes ${open(openTag.tag)} (expected ${close(openTag.tag)})`);
    } else {
      blocks.push({ tag: t.tag, inner: body.slice(openTag.end, t.start), start: openTag.start, end: t.end });
      openTag = null;
    }
  }
  if (openTag) throw new TurnError('unpaired_tag', `${open(openTag.tag)} is never closed (missing ${close(openTag.tag)})`);
  return blocks;
}


function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

function parseCall(inner: string, tools: readonly ToolSpec[], checkCalls: boolean): ToolCall {
  let value: unknown;
  try {
    value = JSON.parse(inner);
  } catch (e) {
    throw new TurnError('invalid_json', `invalid JSON in <tool_call>: ${errorMessage(e)}`);
  }
  if (!isJsonObject(value)) {
    throw new TurnError('invalid_json', `<tool_call> must hold a JSON object, got ${kindOf(value)}`);
  }
  const extra = Object.keys(value).find((k) => k !== 'name' && k !== 'arguments');
  if (extra !== undefined) {
    throw new TurnError('invalid_json', `unexpected key ${JSON.stringify(extra)} in <tool_call>; only "name" and "arguments" belong there`);
  }
  if (!('name' in value)) throw new TurnError('missing_name', '<tool_call> has no "name"');
  const name = value.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TurnError('missing_name', `"name" in <tool_call> must be a non-empty string, got ${kindOf(name)}`);
  }
  if (!('arguments' in value)) throw new TurnError('missing_arguments', `<tool_call> for '${name}' has no "arguments"`);
  const args = value.arguments;
  if (!isJsonObject(args)) {
    throw new TurnError('invalid_arguments', `"arguments" must be a JSON object, got ${kindOf(args)}`);
  }
  if (!checkCalls) return { name, arguments: args };
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new TurnError('unknown_tool', `unknown tool '${name}'`);
  const bad = validateArguments(tool.parameters, args);
  if (bad) throw new TurnError('invalid_arguments', `${name}: ${bad}`);
  return { name, arguments: args };
}

type ActionBlock = Block & { tag: Exclude<TurnTag, 'think'> };

function actionOf(block: ActionBlock, think: string | null, tools: readonly ToolSpec[], checkCalls: boolean): Action {
  const inner = block.inner.trim();
  switch (block.tag) {
    case 'tool_call':
      return { kind: 'call', think, call: parseCall(inner, tools, checkCalls) };
    case 'tool_check':
      if (inner === '') throw new TurnError('unknown_tool', '<tool_check> names no tool');
      if (!tools.some((t) => t.name === inner)) throw new TurnError('unknown_tool', `unknown tool '${inner}' in <tool_check>`);
      return { kind: 'check', think, tool: inner };
    case 'answer':
      return { kind: 'answer', think, text: inner };
  }
}

function structure(body: string, tools: readonly ToolSpec[], checkCalls: boolean): Action {
  const blocks = blocksOf(body);
  const first = blocks[0];
  const think = first?.tag === 'think' ? first.inner.trim() : null;
  const rest = think === null ? blocks : blocks.slice(1);
  const actions = rest.filter((b): b is ActionBlock => b.tag !== 'think');
  if (actions.length > 1) {
    throw new TurnError('multiple_actions', `two actions in one turn: ${open(actions[0]!.tag)} and ${open(actions[1]!.tag)}`);
  }
  const action = actions[0];
  const strayThink = rest.find((b) => b.tag === 'think');
  if (strayThink) {
    if (action && strayThink.start > action.start) {
      throw new TurnError('text_after_end', `<think> after ${close(action.tag)}; nothing may follow the action`);
    }
    throw new TurnError('multiple_actions', 'two <think> blocks; a turn has one, at its start');
  }
  const before = body.slice(0, first?.start ?? body.length);
  if (!action) {
    // think? then plain text: a refusal or nothing.
    if (first && before.trim() !== '') {
      throw new TurnError('multiple_actions', `text ${quote(before)} before <think>; the think block opens the turn`);
    }
    const text = body.slice(first?.end ?? 0).trim();
    if (text === '') throw new TurnError('no_action', 'the turn has a <think> block but no action after it');
    if (!isRefusal(text)) {
      throw new TurnError('no_action', `no <tool_call>, <tool_check> or <answer>, and the text ${quote(text)} is not a refusal`);
    }
    return { kind: 'refuse', think, text };
  }
  const lead = body.slice(think === null ? 0 : first!.end, action.start);
  if (before.trim() !== '' || lead.trim() !== '') {
    const stray = before.trim() !== '' ? before : lead;
    throw new TurnError('multiple_actions', `plain text ${quote(stray)} beside ${open(action.tag)}; a turn holds one action and text only inside tags`);
  }
  const after = body.slice(action.end);
  if (after.trim() !== '') throw new TurnError('text_after_end', `text after ${close(action.tag)}: ${quote(after)}`);
  return actionOf(action, think, tools, checkCalls);
}

/** Best-effort think text for a malformed turn (rewards look at it): the leading think block, if it parsed. */
function leadingThink(body: string): string | null {
  const m = /^\s*<think>([\s\S]*?)<\/think>/.exec(body);
  return m ? (m[1] as string).trim() : null;
}

export function parseTurn(text: string, tools: readonly ToolSpec[], opts: ParseOptions = {}): ParsedTurn {
  const malformed = (code: ParseError['code'], message: string, think: string | null, eos: boolean): ParsedTurn => ({
    action: { kind: 'malformed', think, error: { code, message } },
    eos,
  });
  if (typeof text !== 'string') return malformed('empty', `the turn is ${kindOf(text)}, not text`, null, false);
  if (text.length > MAX_TURN_CHARS) {
    return malformed('too_long', `the turn is ${text.length} characters; the limit is ${MAX_TURN_CHARS}`, null, false);
  }
  const at = text.indexOf(EOS);
  const eos = at >= 0;
  const body = eos ? text.slice(0, at) : text;
  if (eos && text.slice(at + EOS.length).trim() !== '') {
    return malformed('text_after_end', `text after ${EOS}: ${quote(text.slice(at + EOS.length))}`, leadingThink(body), eos);
  }
  if (body.trim() === '') return malformed('empty', 'the turn is empty', null, eos);
  try {
    return { action: structure(body, Array.isArray(tools) ? tools : [], opts.checkCalls ?? true), eos };
  } catch (e) {
    // Only TurnErrors are expected; anything else still becomes a reason, because parseTurn never throws.
    if (e instanceof TurnError) return malformed(e.code, e.message, leadingThink(body), eos);
    return malformed('no_action', `the turn could not be read: ${errorMessage(e)}`, leadingThink(body), eos);
  }
}
