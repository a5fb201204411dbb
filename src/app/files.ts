// Files in and out of the page: downloads, and a checkpoint picked as its two files.
// Types only from src/ml: importing its values would load TensorFlow.js on the main thread.
import { errorMessage } from '../core/errors';
import type { Checkpoint } from '../ml/checkpoint';

export function download(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The manifest (.json) and weights (.bin) of a checkpoint, picked together; the checkpoint module validates them. */
export async function readCheckpointFiles(files: FileList | null): Promise<Checkpoint> {
  const list = [...(files ?? [])];
  const manifest = list.find((f) => f.name.endsWith('.json'));
  const weights = list.find((f) => f.name.endsWith('.bin'));
  if (!manifest || !weights) throw new Error(`checkpoint: pick both its manifest (.json) and its weights (.bin) (got ${list.map((f) => f.name).join(', ') || 'nothing'})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await manifest.text());
  } catch (e) {
    throw new Error(`checkpoint: ${manifest.name} is not valid JSON (${errorMessage(e)})`);
  }
  return { manifest: parsed as Checkpoint['manifest'], weights: await weights.arrayBuffer() };
}
