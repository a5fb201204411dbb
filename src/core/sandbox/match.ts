// The one rule for "this call is that call", used for task calls, forbidden calls and by every consumer of traces.
import type { CallMatcher, Json, ToolCall } from '../types';

/**
 * Same tool name, and every argument the matcher lists is equal in the call (arguments the
 * matcher leaves out may be anything). Strings compare trimmed and case-insensitively, numbers
 * numerically (a numeric string matches its number), arrays element-wise, objects key by key.
 */
export function matchesCall(call: ToolCall, matcher: CallMatcher): boolean {
  if (call.name !== matcher.name) return false;
  for (const [key, want] of Object.entries(matcher.arguments ?? {})) {
    if (!Object.hasOwn(call.arguments, key)) return false;
    if (!sameValue(call.arguments[key] as Json, want)) return false;
  }
  return true;
}

function sameValue(got: Json, want: Json): boolean {
  if (typeof want === 'string' && typeof got === 'string') return want.trim().toLowerCase() === got.trim().toLowerCase();
  if (typeof want === 'number' || typeof got === 'number') {
    const a = asNumber(got);
    const b = asNumber(want);
    return a !== null && b !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  }
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => sameValue(got[i] as Json, w));
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return false;
    const gotKeys = Object.keys(got);
    const wantKeys = Object.keys(want);
    return (
      gotKeys.length === wantKeys.length &&
      wantKeys.every((k) => Object.hasOwn(got, k) && sameValue(got[k] as Json, want[k] as Json))
    );
  }
  return got === want;
}

function asNumber(v: Json): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : null;
  }
  return null;
}
