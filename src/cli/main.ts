// The asp command line: `npm run --silent asp -- <command> [flags]`.
// Results go to stdout (JSON lines); progress and errors to stderr; errors exit non-zero with one clear line.
import './regexp-guard'; // first: before any schema pattern is compiled
import { errorMessage } from '../core/errors';
import { printable, UsageError } from './args';
import { benchCommand } from './bench';
import { evalCommand } from './eval';
import { exportCommand } from './export';
import { scenariosCommand } from './scenarios';
import { scoreCommand } from './score';
import { trainCommand } from './train';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  scenarios: {
    run: scenariosCommand,
    help: 'scenarios --split train|dev|test --n N --seed S [--format episodes|cases] [--policy paper|strict]',
  },
  score: {
    run: scoreCommand,
    help: 'score --policy oracle|execute|refuse|random --reward paper|strict|shaped --split train|dev|test --n N --seed S [--p-yes P] [--max-turns T]',
  },
  train: { run: trainCommand, help: 'train --config FILE --out DIR | --resume DIR [--force] [--allow-reward-code] [--reward-timeout-ms MS] [--backend wasm|cpu] [--threads N]' },
  eval: {
    run: evalCommand,
    help:
      'eval (--checkpoint DIR | --policy expected|execute|refuse) (--cases FILE | --suite NAME[,NAME]|all) [--out FILE] [--force] | ' +
      'eval --checkpoint DIR --split train|dev|test [--n N] [--seed S] [--reward R] [--p-yes P] [--max-turns T] [--points] | ' +
      'eval --transcripts FILE [--reward R] [--max-turns T] [--out FILE]; a checkpoint takes [--decoding constrained|free] [--max-new-tokens N] [--backend wasm|cpu]',
  },
  bench: { run: benchCommand, help: 'bench [--iterations N] [--sft-steps N] [--backends wasm,cpu] [--threads N] [--from CHECKPOINT_DIR]' },
  export: {
    run: exportCommand,
    help: 'export --format verl|trl --split train|dev|test --n N --out DIR [--seed S] [--reward paper|strict|shaped|SPEC.json] [--max-turns T] [--p-yes P] [--force]',
  },
};

function usage(): string {
  return ['usage: asp <command> [flags]', ...Object.values(COMMANDS).map((c) => `  ${c.help}`)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
  await command.run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = errorMessage(err);
  process.stderr.write(`asp: ${printable(message)}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
