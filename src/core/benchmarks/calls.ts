// Is a call the expected one? With BFCL's acceptable values when the case lists them (BFCL's AST checker rules:
// strings compared without spaces and punctuation and case, numbers numerically, lists in order, nested dicts by
// their own acceptable lists, no unexpected argument); otherwise the sandbox's own matching rule.
import type { Case } from '../cases';
import { matchesCall } from '../sandbox';
import { isJsonObject, type Json, type ToolCall } from '../types';

type ExpectedCall = NonNullable<Case['expected_call']>;

/** BFCL's standardize_string. */
const standard = (s: string): string => s.replace(/[ ,./\-_*^]/g, '').toLowerCase().replace(/'/g, '"');


/** `want` is one acceptable value; inside dicts, BFCL lists the acceptable values of each key again. */
function bfclEqual(got: Json | undefined, want: Json): boolean {
  if (got === undefined) return false;
  if (typeof want === 'string') return typeof got === 'string' && standard(got) === standard(want);
  if (typeof want === 'number') return typeof got === 'number' && Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));
  if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && want.every((w, i) => bfclEqual(got[i], w));
  if (isJsonObject(want)) {
    if (!isJsonObject(got)) return false;
    if (Object.keys(got).some((k) => !Object.hasOwn(want, k))) return false;
    return Object.entries(want).every(([k, options]) => {
      const list = Array.isArray(options) ? options : [options];
      if (!Object.hasOwn(got, k)) return list.includes('');
      return list.some((o) => o !== '' && bfclEqual(got[k], o));
    });
  }
  return got === want;
}

export function callAccepted(call: ToolCall | null, expected: ExpectedCall): boolean {
  if (call === null || call.name !== expected.name) return false;
  if (!expected.acceptable) return matchesCall(call, expected);
  const acceptable = expected.acceptable;
  const optional = new Set(expected.optional ?? []);
  for (const key of Object.keys(call.arguments)) {
    if (!Object.hasOwn(acceptable, key) && !optional.has(key)) return false;
  }
  for (const [key, values] of Object.entries(acceptable)) {
    if (!Object.hasOwn(call.arguments, key)) {
      if (!optional.has(key)) return false;
      continue;
    }
    if (!values.some((v) => bfclEqual(call.arguments[key], v))) return false;
  }
  return true;
}
