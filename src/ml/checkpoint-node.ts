// Checkpoints as folders on disk (Node only: kept apart so the page's bundle never imports node:fs).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, WEIGHTS_FILE, deserializeCheckpoint, serializeCheckpoint, type CheckpointMeta } from './checkpoint';
import type { TransformerLM } from './model';
import type { Tokenizer } from './tokenizer';

/** Writes DIR/manifest.json and DIR/weights.bin (creating DIR). */
export async function saveCheckpointDir(
  dir: string,
  model: TransformerLM,
  tokenizer: Tokenizer,
  extra: { metrics?: unknown; meta?: CheckpointMeta } = {},
): Promise<void> {
  const { manifest, weights } = await serializeCheckpoint(model, tokenizer, extra);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** Reads a folder written by saveCheckpointDir; a missing or corrupt file fails with a message naming it. */
export async function loadCheckpointDir(
  dir: string,
  opts: { trainable?: boolean } = {},
): Promise<ReturnType<typeof deserializeCheckpoint>> {
  const read = async (file: string): Promise<Buffer> => {
    try {
      return await readFile(join(dir, file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`checkpoint: cannot read ${join(dir, file)} (${code === 'ENOENT' ? 'no such file' : String(e)})`);
    }
  };
  const [manifest, blob] = await Promise.all([read(MANIFEST_FILE), read(WEIGHTS_FILE)]);
  const weights = blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength) as ArrayBuffer;
  return deserializeCheckpoint(manifest.toString('utf8'), weights, opts);
}
