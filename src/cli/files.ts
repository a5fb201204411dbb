// Output files of the CLI: nothing that exists is replaced without --force, and an input never is.
import { realpath, stat } from 'node:fs/promises';
import { UsageError } from './args';

const real = (path: string): Promise<string | null> => realpath(path).catch(() => null);

/** Throws a UsageError before any work if writing `outputs` would replace an input, or an existing file without --force. */
export async function checkOutputs(outputs: string[], opts: { force: boolean; inputs?: string[] }): Promise<void> {
  const inputs = new Set((await Promise.all((opts.inputs ?? []).map(real))).filter((p) => p !== null));
  for (const out of outputs) {
    const path = await real(out);
    if (path === null) continue;
    if (inputs.has(path)) throw new UsageError(`${out} is also an input of this command: writing it would replace what is being read`);
    if (!opts.force) {
      const what = (await stat(path)).isDirectory() ? 'a folder' : 'a file';
      throw new UsageError(`${out} exists (${what}); choose another output or pass --force to replace it`);
    }
  }
}
