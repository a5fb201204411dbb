// The case format (JSON lines): one conversation that stops where the policy must write the next assistant turn,
// with its tools, labels and the expected decision. Outside data comes in here, so every line is validated and a
// bad line is reported (line number + field path) while the other lines still load.
import { z } from 'zod';
import { errorMessage } from '../errors';
import { escapeTags, renderSystemPrompt, schemaError, sizeError, validateArguments } from '../protocol';
import { scanTags } from '../protocol/tokens';
import { TOOL_CLASSES, USER_CLASSES, isJsonObject, type ChatMessage, type Decision, type Json, type JsonSchema } from '../types';

/** Deeper lines are rejected before zod walks them (its recursion would overflow the stack). */
const MAX_LINE_DEPTH = 64;

const JsonValue: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);


const ToolSchema = z.object({
  name: z.string().regex(/^[^\s<>]{1,100}$/, 'a tool name is 1-100 characters without spaces or angle brackets'),
  description: z.string(),
  parameters: z.custom<JsonSchema>(isJsonObject, 'must be a JSON Schema object'),
  // Tool lists people bring (OpenAI-style function specs) carry no such flag: missing reads as not sensitive, and
  // parseCases counts how many tools were read that way.
  sensitive: z.boolean().default(false),
});

const MessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string() }),
  z.object({ role: z.literal('tool'), name: z.string(), content: z.string() }),
  z.object({ role: z.literal('check'), content: z.enum(['yes', 'no']) }),
]);

const EXPECTED = ['execute', 'refuse', 'verify', 'answer'] as const satisfies readonly Decision[];

const CaseSchema = z
  .strictObject({
    id: z.string().min(1),
    /** Extra instructions appended to the system prompt (e.g. a safety prompt); the tool list is always shown. */
    system: z.string().optional(),
    tools: z.array(ToolSchema),
    messages: z.array(MessageSchema).min(1),
    labels: z.object({ user: z.enum(USER_CLASSES), tool: z.enum(TOOL_CLASSES) }),
    expected: z.enum(EXPECTED),
    forbidden_tools: z.array(z.string()).optional(),
    expected_call: z
      .object({
        name: z.string(),
        /** One right set of arguments (it must satisfy the tool's schema). */
        arguments: z.record(z.string(), JsonValue),
        /** Benchmarks with several right answers (BFCL): every acceptable value per argument. */
        acceptable: z.record(z.string(), z.array(JsonValue).min(1)).optional(),
        /** Arguments that may be left out. */
        optional: z.array(z.string()).optional(),
      })
      .optional(),
    /** Other decisions that are also right here (BFCL irrelevance: answering or declining both call nothing). */
    also_accept: z.array(z.enum(EXPECTED)).optional(),
    /** Where the case comes from, for per-suite and per-category reports (benchmarks set these). */
    suite: z.string().min(1).optional(),
    category: z.string().min(1).optional(),
    /** A benchmark's own setting, e.g. InjecAgent's 'dh-base'. */
    setting: z.string().min(1).optional(),
    /** Step of a multi-step attack (InjecAgent data stealing: 1 fetch, 2 send); stage 2 ids are stage 1's + ':s2'. */
    stage: z.number().int().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const names = new Map<string, number>();
    c.tools.forEach((t, i) => {
      const first = names.get(t.name);
      if (first !== undefined) issue(['tools', i, 'name'], `duplicate tool '${t.name}' (also tools[${first}])`);
      else names.set(t.name, i);
      const bad = schemaError(t.parameters);
      if (bad) issue(['tools', i, 'parameters'], bad);
    });
    const known = (name: string) => names.has(name);
    c.forbidden_tools?.forEach((name, i) => {
      if (!known(name)) issue(['forbidden_tools', i], `unknown tool '${name}'`);
    });
    if (c.expected_call) {
      const tool = c.tools.find((t) => t.name === c.expected_call!.name);
      if (!tool) issue(['expected_call', 'name'], `unknown tool '${c.expected_call.name}'`);
      else {
        const bad = validateArguments(tool.parameters, c.expected_call.arguments);
        if (bad) issue(['expected_call', 'arguments'], bad);
        const props = tool.parameters.properties;
        for (const key of [...Object.keys(c.expected_call.acceptable ?? {}), ...(c.expected_call.optional ?? [])]) {
          if (props && !Object.hasOwn(props, key)) issue(['expected_call', 'acceptable', key], `'${key}' is not a parameter of '${tool.name}'`);
        }
      }
    }
    const last = c.messages[c.messages.length - 1];
    if (last?.role === 'assistant') {
      issue(['messages', c.messages.length - 1, 'role'], 'the last message must not be an assistant turn: the policy writes the next one');
    }
  });

export type Case = z.infer<typeof CaseSchema>;

export interface CaseError {
  /** 1-based line number in the input. */
  line: number;
  /** Path of the offending field, e.g. 'tools[0].parameters'; '$' for the whole line. */
  field: string;
  message: string;
}

function fieldPath(path: readonly PropertyKey[]): string {
  const out = path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
  return out || '$';
}

function lineErrors(line: number, issues: readonly z.core.$ZodIssue[]): CaseError[] {
  return issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? { line, field: fieldPath([...i.path, i.keys[0] ?? '']), message: `unknown field(s): ${i.keys.join(', ')}` }
      : { line, field: fieldPath(i.path), message: i.message },
  );
}

/** "missing" reads better than zod's "expected string, received undefined". */
function missingField(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.input !== undefined) return undefined;
  if (iss.code === 'invalid_type') return `missing (expected ${iss.expected})`;
  if (iss.code === 'invalid_value') return `missing (expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')})`;
  return 'missing';
}

/** What parseCases read: the valid cases, an error per bad field, and how many tools of the valid cases had no `sensitive`. */
export interface ParsedCases {
  cases: Case[];
  errors: CaseError[];
  /** Tools (over all valid cases) without a `sensitive` field, read as not sensitive. */
  sensitiveDefaulted: number;
}

/** Reads JSON lines; blank lines are skipped. Never throws. */
export function parseCases(text: string): ParsedCases {
  const cases: Case[] = [];
  const errors: CaseError[] = [];
  let sensitiveDefaulted = 0;
  const seen = new Map<string, number>();
  String(text)
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        errors.push({ line, field: '$', message: `invalid JSON: ${errorMessage(e)}` });
        return;
      }
      const tooDeep = sizeError(value, MAX_LINE_DEPTH, Infinity, 'case');
      if (tooDeep) {
        errors.push({ line, field: '$', message: tooDeep });
        return;
      }
      const parsed = CaseSchema.safeParse(value, { error: missingField });
      if (!parsed.success) {
        errors.push(...lineErrors(line, parsed.error.issues));
        return;
      }
      const first = seen.get(parsed.data.id);
      if (first !== undefined) {
        errors.push({ line, field: 'id', message: `duplicate id '${parsed.data.id}' (first on line ${first})` });
        return;
      }
      seen.set(parsed.data.id, line);
      cases.push(parsed.data);
      const tools = (value as { tools: Record<string, unknown>[] }).tools;
      sensitiveDefaulted += tools.filter((t) => !Object.hasOwn(t, 'sensitive')).length;
    });
  return { cases, errors, sensitiveDefaulted };
}

/** One JSON line, fields in a fixed order so case files diff cleanly. */
export function serializeCase(c: Case): string {
  const { id, suite, setting, category, stage, system, tools, messages, labels, expected, also_accept, forbidden_tools, expected_call } = c;
  return JSON.stringify({ id, suite, setting, category, stage, system, tools, messages, labels, expected, also_accept, forbidden_tools, expected_call });
}

/** The conversation a policy continues: the system prompt built from the case's tools, then its messages. */
export function caseToMessages(c: Case): ChatMessage[] {
  const system = renderSystemPrompt(c.tools) + (c.system ? `\n${escapeTags(c.system)}` : '');
  return [{ role: 'system', content: system }, ...c.messages.map((m) => (m.role === 'assistant' ? { ...m, content: escapeForeignTags(m.content) } : m))];
}

/**
 * An assistant message from a case file: its turn tags stay (they are the assistant's format, rendered verbatim),
 * every other tag-like token (a turn marker such as <|system|>, a tool reply's tags) is escaped, so the file
 * cannot open a turn of its own in the model input.
 */
function escapeForeignTags(text: string): string {
  let out = '';
  let at = 0;
  for (const t of scanTags(text)) {
    if (t.kind !== 'foreign') continue;
    out += text.slice(at, t.start) + '&lt;' + text.slice(t.start + 1, t.end);
    at = t.end;
  }
  return out + text.slice(at);
}
