// Tool arguments against the tool's JSON Schema, with ajv. Schemas may come from outside (case files,
// other benchmarks' dialects), so they are normalised first and a broken schema is reported, not thrown.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { errorMessage } from '../errors';
import type { JsonSchema } from '../types';

export const MAX_ARG_DEPTH = 20;
export const MAX_ARG_CHARS = 20_000;

// Other dialects write "format" freely (BFCL: "date"); it is outside the subset we check, so it is ignored quietly.
// Patterns without the u flag: V8's linear-time fallback for runaway backtracking (src/cli/regexp-guard.ts) needs that.
const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: true, validateFormats: false, unicodeRegExp: false });
/** Compiled validator, or the reason the schema does not compile. */
const compiled = new WeakMap<object, ValidateFunction | string>();
/** The same, by schema text, least recently used first. */
const byText = new Map<string, ValidateFunction | string>();
const MAX_TEXT_CACHE = 1000;

// Type names other dialects use (BFCL writes Python's names).
const TYPE_ALIASES: Record<string, string | null> = {
  dict: 'object',
  float: 'number',
  double: 'number',
  int: 'integer',
  long: 'integer',
  str: 'string',
  bool: 'boolean',
  list: 'array',
  tuple: 'array',
  any: null,
};

/** JSON Schema's name for a type name of any dialect; null for "any" (no constraint). */
export function canonicalType(type: string): string | null {
  return Object.hasOwn(TYPE_ALIASES, type) ? (TYPE_ALIASES[type] ?? null) : type;
}

/** Lookarounds and backreferences keep a pattern on V8's backtracking engine (no linear-time fallback): refused. */
const UNBOUNDED_PATTERN = /\\[1-9]|\\k<|\(\?<?[=!]/;

/** A copy of the schema with foreign type names mapped to JSON Schema's; depth-limited against hostile input. */
function normalise(schema: unknown, depth = 0): unknown {
  if (depth > 64) throw new Error('schema nested more than 64 levels');
  if (Array.isArray(schema)) return schema.map((s) => normalise(s, depth + 1));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'type' && typeof value === 'string') {
      const mapped = canonicalType(value);
      if (mapped) out.type = mapped;
    } else if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') {
      out[key] = value;
    } else if (key === 'pattern' && typeof value === 'string' && UNBOUNDED_PATTERN.test(value)) {
      throw new Error(`pattern ${JSON.stringify(value)} uses a lookaround or backreference, which could backtrack without bound`);
    } else if (key === 'patternProperties' && value !== null && typeof value === 'object' && Object.keys(value).some((k) => UNBOUNDED_PATTERN.test(k))) {
      throw new Error('a patternProperties pattern uses a lookaround or backreference, which could backtrack without bound');
    } else {
      out[key] = normalise(value, depth + 1);
    }
  }
  return out;
}

function compile(schema: JsonSchema): ValidateFunction | string {
  try {
    const normalised = normalise(schema) as object;
    const v = ajv.compile(normalised);
    // Our caches own the validator; ajv's own cache would keep every schema ever seen alive.
    ajv.removeSchema(normalised);
    return v;
  } catch (e) {
    return `invalid schema: ${errorMessage(e)}`;
  }
}

function validatorFor(schema: JsonSchema): ValidateFunction | string {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'schema must be a JSON object';
  let v = compiled.get(schema);
  if (v !== undefined) return v;
  // Equal schemas in fresh objects (each case line, each copied episode) share one compilation.
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch (e) {
    return `invalid schema: ${errorMessage(e)}`;
  }
  v = byText.get(text) ?? compile(schema);
  byText.delete(text);
  byText.set(text, v);
  if (byText.size > MAX_TEXT_CACHE) byText.delete(byText.keys().next().value as string);
  compiled.set(schema, v);
  return v;
}

/** Why a tool's parameter schema cannot be used, or null when it compiles. */
export function schemaError(schema: JsonSchema): string | null {
  const v = validatorFor(schema);
  return typeof v === 'string' ? v : null;
}

/** 'items[0].name' from ajv's '/items/0/name'. */
function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(err: ErrorObject): string {
  const field = fieldPath(err.instancePath);
  const subject = field ? `argument '${field}'` : 'arguments';
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return `missing required argument '${fieldPath(err.instancePath, String(p.missingProperty))}'`;
    case 'additionalProperties':
      return `unexpected argument '${fieldPath(err.instancePath, String(p.additionalProperty))}'`;
    case 'type':
      return `${subject} must be ${String(p.type)}`;
    case 'enum':
      return `${subject} must be one of ${((p.allowedValues as unknown[]) ?? []).map((x) => JSON.stringify(x)).join(', ')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${subject} must be ${String(p.comparison)} ${String(p.limit)}`;
    default:
      return `${subject} ${err.message ?? 'is invalid'}`;
  }
}

/** Why a value is too big or too deep, or null; iterative so hostile depth cannot overflow the stack. */
export function sizeError(
  value: unknown,
  maxDepth = MAX_ARG_DEPTH,
  maxChars = MAX_ARG_CHARS,
  what = 'arguments',
): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  let chars = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') chars += v.length + 2;
    else chars += 4;
    if (chars > maxChars) return `${what} too large (more than ${maxChars} characters)`;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return `${what} nested too deeply (more than ${maxDepth} levels)`;
    const entries = Array.isArray(v) ? v : Object.entries(v).flat();
    for (const child of entries) stack.push([child, depth + 1]);
  }
  return null;
}

/** null when `args` satisfy the schema; otherwise one message naming the offending field. Never throws. */
export function validateArguments(schema: JsonSchema, args: unknown): string | null {
  const tooBig = sizeError(args);
  if (tooBig) return tooBig;
  const v = validatorFor(schema);
  if (typeof v === 'string') return v;
  try {
    if (v(args)) return null;
    const err = v.errors?.[0];
    return err ? describe(err) : 'arguments do not match the schema';
  } catch (e) {
    return `arguments could not be checked: ${errorMessage(e)}`;
  }
}
