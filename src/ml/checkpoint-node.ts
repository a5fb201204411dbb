// Checkpoints as folders on disk (Node only: kept apart so the page's bundle never imports node:fs).
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, WEIGHTS_FILE, deserializeCheckpoint, serializeCheckpoint } from './checkpoint';
import type { TransformerLM } from './model';
import type { Tokenizer } from './tokenizer';

/**
 * Writes DIR/manifest.json and DIR/weights.bin (creating DIR), each to a temporary file first and then renamed
 * into place, weights before manifest: a save killed part way leaves every file whole (the old pair, or the new
 * weights beside the old manifest for the instant between the renames). Weights that are not all finite are
 * refused, so a diverged run never replaces the last good checkpoint.
 */
export async function saveCheckpointDir(
  dir: string,
  model: TransformerLM,
  tokenizer: Tokenizer,
  extra: Parameters<typeof serializeCheckpoint>[2] = {},
): Promise<void> {
  const { manifest, weights } = await serializeCheckpoint(model, tokenizer, extra);
  const values = new Float32Array(weights);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const w = [...manifest.weights, ...(manifest.optimizer ?? [])].find((e) => e.offset <= bad * 4 && bad * 4 < e.offset + e.length);
    throw new Error(`checkpoint: weight ${w?.name ?? '?'} holds ${values[bad]}; not saved to ${dir} (the checkpoint there, if any, is kept)`);
  }
  await mkdir(dir, { recursive: true });
  const files: [string, string | Uint8Array][] = [
    [WEIGHTS_FILE, new Uint8Array(weights)],
    [MANIFEST_FILE, `${JSON.stringify(manifest, null, 1)}\n`],
  ];
  for (const [file, data] of files) await writeFile(join(dir, `${file}.tmp`), data);
  for (const [file] of files) await rename(join(dir, `${file}.tmp`), join(dir, file));
}

/** The largest manifest or weights file read: the largest model the config allows is about 1.3 GB of weights. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Reads a folder written by saveCheckpointDir; a missing or corrupt file fails with a message naming it. */
export async function loadCheckpointDir(
  dir: string,
  opts: { trainable?: boolean } = {},
): Promise<ReturnType<typeof deserializeCheckpoint>> {
  const read = async (file: string): Promise<Buffer> => {
    const path = join(dir, file);
    try {
      // Checked before reading: a named pipe or device would block the read forever.
      const info = await stat(path);
      if (!info.isFile()) throw new Error(`checkpoint: ${path} is not a regular file`);
      if (info.size > MAX_FILE_BYTES) throw new Error(`checkpoint: ${path} has ${info.size} bytes, more than any model here needs (${MAX_FILE_BYTES})`);
      return await readFile(path);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('checkpoint:')) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`checkpoint: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : String(e)})`);
    }
  };
  // One after the other, so a folder missing both is reported by its manifest, always (read together, either came first).
  const manifest = await read(MANIFEST_FILE);
  const blob = await read(WEIGHTS_FILE);
  const weights = blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength) as ArrayBuffer;
  return deserializeCheckpoint(manifest.toString('utf8'), weights, opts);
}
