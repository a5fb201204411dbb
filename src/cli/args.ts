// Flag parsing for the CLI: every bad flag or value becomes one clear UsageError line.
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

/** The most episodes one command makes (--n): far above any evaluation here, far below what exhausts memory. */
export const MAX_EPISODES = 100_000;

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

export function parseFlags(argv: string[], spec: FlagSpec): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function oneOf<T extends string>(flag: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}

export function intFlag(flag: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${flag} must be an integer ${range} (got ${JSON.stringify(value)})`);
  }
  return n;
}

export function numberFlag(flag: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a number in [${min}, ${max}] (got ${JSON.stringify(value)})`);
  }
  return n;
}

export function requiredString(flag: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/**
 * Text from input files made safe to print: control characters (terminal escape sequences, carriage returns,
 * newlines) and bidirectional overrides become visible \x / \u escapes, so an error line stays one honest line.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
