// What a custom reward sees, for the editor: the API doc shown beside it and its completions. Both are read from the
// sources themselves (types.ts and the modules of the `lib` helpers, imported as text when the page is built), so
// they cannot drift from the code a reward actually runs against.
import TYPES from '../core/types.ts?raw';
import IDEAL from '../core/ideal.ts?raw';
import DECISIONS from '../core/metrics/decisions.ts?raw';
import REFUSAL from '../core/protocol/refusal.ts?raw';
import RULES from '../core/reward/rules.ts?raw';
import MATCH from '../core/sandbox/match.ts?raw';
import { REWARD_LIB } from '../core/reward';

const SOURCES = [TYPES, DECISIONS, IDEAL, RULES, REFUSAL, MATCH];

interface Declaration {
  name: string;
  /** The declaration as written, without `export` (types and interfaces), or the signature `name(params): type` (functions). */
  text: string;
  /** The first sentence of its doc comment. */
  doc: string | null;
}

/** The first sentence of the doc comment that ends right before `at`, if any. */
function docBefore(source: string, at: number): { doc: string | null; start: number } {
  const before = source.slice(0, at);
  const start = before.lastIndexOf('/**');
  if (!before.endsWith('*/\n') || start < 0 || before.slice(start, -3).includes('*/')) return { doc: null, start: at };
  const text = before.slice(start + 3, -3).split('\n').map((l) => l.replace(/^\s*\*?\s?/, '').trim()).filter(Boolean).join(' ');
  return { doc: /^.*?[.:](?=\s|$)/.exec(text)?.[0] ?? text, start };
}

function findDeclaration(name: string): Declaration {
  for (const source of SOURCES) {
    const head = new RegExp(`^export (interface|type|function|const) ${name}\\b`, 'm').exec(source);
    if (!head) continue;
    const { doc, start } = docBefore(source, head.index);
    const rest = source.slice(head.index);
    if (head[1] === 'interface') {
      const body = rest.slice(0, rest.indexOf('\n}\n') + 2);
      return { name, doc, text: `${source.slice(start, head.index)}${body.replace(/^export /, '')}` };
    }
    if (head[1] === 'type') {
      // A type ends at the first line ending in ';' that no '|' line continues.
      const end = /;\n(?!\s+\|)/.exec(rest);
      return { name, doc, text: `${source.slice(start, head.index)}${rest.slice(0, end!.index + 1).replace(/^export /, '')}` };
    }
    const signature =
      head[1] === 'function'
        ? new RegExp(`^export function ${name}(\\(.*\\)): (.+) \\{$`, 'm').exec(rest)
        : new RegExp(`^export const ${name} = (\\(.*\\)): (.+?) =>`, 'm').exec(rest);
    if (!signature) break;
    return { name, doc, text: `${name}${signature[1]}: ${signature[2]}` };
  }
  throw new Error(`reward API: no declaration of ${name} found in the sources it is read from`);
}

const LIB = Object.keys(REWARD_LIB).map(findDeclaration);

/** Every type named from RewardInput, RewardResult and the lib signatures, each once, in the order first met. */
function typesUsed(): Declaration[] {
  const known = new Set<string>();
  for (const source of SOURCES) for (const m of source.matchAll(/^export (?:interface|type) (\w+)/gm)) known.add(m[1]!);
  const out: Declaration[] = [];
  const seen = new Set<string>();
  const visit = (text: string): void => {
    for (const [word] of text.matchAll(/\b[A-Z]\w+/g)) {
      if (!known.has(word) || seen.has(word)) continue;
      seen.add(word);
      const d = findDeclaration(word);
      out.push(d);
      visit(d.text);
    }
  };
  visit(['RewardInput', 'RewardResult', ...LIB.map((d) => d.text)].join(' '));
  return out;
}

const TYPES_USED = typesUsed();

/** What a custom reward sees, as TypeScript declarations (shown next to the editor). */
export const REWARD_API_DOC = [
  '// Write plain JavaScript: function reward(input) { ... } or (input) => ({ ... }).',
  '// Return a RewardResult; every number finite. These declarations are read from the source (src/core/types.ts).',
  ...TYPES_USED.map((d) => d.text),
  'declare const lib: {',
  ...LIB.map((d) => `${d.doc ? `  /** ${d.doc} */\n` : ''}  ${d.text};`),
  '};',
  '',
].join('\n');

export interface RewardCompletion {
  path: string;
  type: string;
  kind: 'property' | 'function' | 'variable';
  info?: string;
}

/** The fields of an interface, with their one-line doc comments. */
function fields(d: Declaration): { name: string; type: string; doc: string | null }[] {
  return [...d.text.matchAll(/(?:\/\*\* (.*) \*\/\n)?^ {2}(\w+)\??: (.+);$/gm)].map((m) => ({ name: m[2]!, type: m[3]!, doc: m[1] ?? null }));
}

/** input.* down through every field whose type is an interface of its own (not through arrays). */
function fieldCompletions(path: string, type: string, depth: number): RewardCompletion[] {
  const d = TYPES_USED.find((t) => t.name === type && t.text.includes(`interface ${type} `));
  if (!d || depth === 0) return [];
  return fields(d).flatMap((f) => [
    { path: `${path}.${f.name}`, type: f.type, kind: 'property' as const, ...(f.doc ? { info: f.doc } : {}) },
    ...fieldCompletions(`${path}.${f.name}`, f.type, depth - 1),
  ]);
}

export const REWARD_COMPLETIONS: RewardCompletion[] = [
  { path: 'input', type: 'RewardInput', kind: 'variable', info: 'what a reward sees' },
  ...fieldCompletions('input', 'RewardInput', 3),
  { path: 'lib', type: 'RewardLib', kind: 'variable', info: 'helpers (also the second argument)' },
  ...LIB.map((d) => ({ path: `lib.${d.name}`, type: d.text.slice(d.name.length), kind: 'function' as const, ...(d.doc ? { info: d.doc } : {}) })),
];
