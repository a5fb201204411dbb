// The transcript's special tokens and the one tag scanner that the parser and the escaper share,
// so whatever the parser would treat as a tag is exactly what rendering neutralises.

/** Each of these is ONE token for the tokenizer. */
export const SPECIAL_TOKENS = [
  '<|pad|>',
  '<|system|>',
  '<|user|>',
  '<|assistant|>',
  '<|tool|>',
  '<|check|>',
  '<|end|>',
  '<think>',
  '</think>',
  '<tool_call>',
  '</tool_call>',
  '<tool_check>',
  '</tool_check>',
  '<tool_check_result>',
  '</tool_check_result>',
  '<tool_response>',
  '</tool_response>',
  '<answer>',
  '</answer>',
] as const;

/** End of an assistant turn (and of every rendered message). */
export const EOS = '<|end|>';

export const TAG = {
  think: 'think',
  call: 'tool_call',
  check: 'tool_check',
  answer: 'answer',
  checkResult: 'tool_check_result',
  response: 'tool_response',
} as const;

/** Tags an assistant turn may contain. */
export type TurnTag = 'think' | 'tool_call' | 'tool_check' | 'answer';
const TURN_TAGS: readonly TurnTag[] = ['think', 'tool_call', 'tool_check', 'answer'];

export const open = (tag: string): string => `<${tag}>`;
export const close = (tag: string): string => `</${tag}>`;

export type TagToken =
  | { kind: 'turn'; tag: TurnTag; closing: boolean; start: number; end: number; raw: string }
  /** A special token or a near miss of one: never valid inside an assistant turn. */
  | { kind: 'foreign'; start: number; end: number; raw: string; reason: string };

// Anything shaped like a tag: `<name>`, `</name>`, `< name >`, `<|name|>`, `<name/>`.
const TAG_LIKE = /<\s*(\/)?\s*([A-Za-z_|][A-Za-z0-9_\-| ]{0,40}?)\s*\/?\s*>/g;

const NEAR_NAMES = ['think', 'toolcall', 'toolcheck', 'answer', 'toolresponse', 'toolcheckresult'];
const MARKER_NAMES = new Set(['pad', 'system', 'user', 'assistant', 'tool', 'check', 'end']);

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The turn tag a near miss was probably meant to be, or null when the name is unlike ours. */
function nearMiss(name: string): string | null {
  const n = name.toLowerCase().replace(/[^a-z]/g, '');
  if (n.length === 0) return null;
  const best = TURN_TAGS.map((t) => ({ t, d: editDistance(n, t.replace('_', '')) })).sort((x, y) => x.d - y.d)[0]!;
  if (best.d <= 2 || n.startsWith('think') || n.startsWith('tool') || NEAR_NAMES.includes(n) || MARKER_NAMES.has(n)) {
    return best.d <= 2 ? best.t : '';
  }
  return null;
}

/** Every tag-like token of `text` that matters to the protocol, in order; other angle-bracket text is plain text. */
export function scanTags(text: string): TagToken[] {
  const out: TagToken[] = [];
  for (const m of text.matchAll(TAG_LIKE)) {
    const raw = m[0];
    const start = m.index;
    const end = start + raw.length;
    const exact = TURN_TAGS.find((t) => raw === open(t) || raw === close(t));
    if (exact) {
      out.push({ kind: 'turn', tag: exact, closing: raw.startsWith('</'), start, end, raw });
      continue;
    }
    if ((SPECIAL_TOKENS as readonly string[]).includes(raw)) {
      const what = raw.startsWith('<|') ? 'role marker' : 'sandbox tag';
      out.push({ kind: 'foreign', start, end, raw, reason: `${what} ${raw} is not allowed in an assistant turn` });
      continue;
    }
    const guess = nearMiss(m[2] ?? '');
    if (guess === null) continue;
    const hint = guess ? ` (did you mean ${m[1] ? close(guess) : open(guess)}?)` : '';
    out.push({ kind: 'foreign', start, end, raw, reason: `unknown tag ${raw}${hint}` });
  }
  return out;
}

/**
 * Makes text safe to place inside a message or a turn: every tag the parser would see (special tokens
 * and near misses) loses its '<' to '&lt;', so it is plain characters for the tokenizer and the parser.
 */
export function escapeTags(text: string): string {
  const tags = scanTags(text);
  if (tags.length === 0) return text;
  let out = '';
  let at = 0;
  for (const t of tags) {
    out += text.slice(at, t.start) + '&lt;' + text.slice(t.start + 1, t.end);
    at = t.end;
  }
  return out + text.slice(at);
}
