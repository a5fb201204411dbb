// Imported first by the CLI. V8 then switches a match that backtracks too much to its linear-time engine, so a
// hostile "pattern" in a tool schema (^(a|a)*$ against 35 characters) cannot hang argument validation of case files
// or transcripts. That engine takes no unicode-mode pattern, so ajv compiles schema patterns without the u flag
// (src/core/protocol/args.ts); patterns with backreferences or lookarounds stay on the backtracking engine.
import v8 from 'node:v8';

v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
