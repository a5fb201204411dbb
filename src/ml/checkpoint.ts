// Versioned checkpoints: a JSON manifest (model config, tokenizer, metrics, weight table) plus one binary blob of
// little-endian float32 weights. Works on in-memory objects so Node (checkpoint-node.ts) and the browser share it.
import { z } from 'zod';
import { errorMessage } from '../core/errors';
import { LmConfigSchema, parameterSpecs, TransformerLM, type NamedWeight } from './model';
import { Tokenizer, TokenizerJsonSchema } from './tokenizer';

const CHECKPOINT_FORMAT = 'asp-checkpoint';
const CHECKPOINT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';

/** How far a run got: what a resumed run continues from. */
const RunProgressSchema = z.object({
  sftStepsDone: z.number().int().min(0),
  grpoIterationsDone: z.number().int().min(0),
});
export type RunProgress = z.infer<typeof RunProgressSchema>;

/** The run a checkpoint was saved from, so it can resume. */
const CheckpointMetaSchema = z.object({
  /** The run config as saved; read it with parseRunConfig, which fills in fields added since. */
  config: z.unknown(),
  progress: RunProgressSchema,
});
export type CheckpointMeta = z.infer<typeof CheckpointMetaSchema>;

const BlobEntrySchema = z
  .object({
    name: z.string().min(1),
    shape: z.array(z.number().int().min(0)),
    dtype: z.literal('float32'),
    /** Byte offset in the blob. */
    offset: z.number().int().min(0),
    /** Byte length in the blob. */
    length: z.number().int().min(0),
  })
  .strict();

const CheckpointManifestSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    version: z.literal(CHECKPOINT_VERSION),
    config: LmConfigSchema,
    tokenizer: TokenizerJsonSchema,
    /** Evaluation or training metrics, shown beside the checkpoint. */
    metrics: z.unknown().optional(),
    meta: CheckpointMetaSchema.optional(),
    weights: z.array(BlobEntrySchema),
    /** A resumable checkpoint's optimizer state (see adam-state.ts), after the weights in the same blob. */
    optimizer: z.array(BlobEntrySchema).optional(),
  })
  .strict();
export type CheckpointManifest = z.infer<typeof CheckpointManifestSchema>;

export interface Checkpoint {
  manifest: CheckpointManifest;
  weights: ArrayBuffer;
}

/** Snapshots a model and its tokenizer (weights copied, so training may go on). */
export async function serializeCheckpoint(
  model: TransformerLM,
  tokenizer: Tokenizer,
  extra: { metrics?: unknown; meta?: CheckpointMeta; optimizer?: readonly NamedWeight[] } = {},
): Promise<Checkpoint> {
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new Error(`checkpoint: tokenizer has ${tokenizer.vocabSize} tokens but the model expects ${model.config.vocabSize}`);
  }
  const named = await model.getWeights();
  const state = extra.optimizer ?? [];
  const blob = new Float32Array([...named, ...state].reduce((a, w) => a + w.values.length, 0));
  let at = 0;
  const entries = (list: readonly NamedWeight[]) =>
    list.map((w) => {
      blob.set(w.values, at);
      const entry = { name: w.name, shape: w.shape, dtype: 'float32' as const, offset: at * 4, length: w.values.length * 4 };
      at += w.values.length;
      return entry;
    });
  const weights = entries(named);
  const optimizer = entries(state);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: model.config,
    tokenizer: tokenizer.toJSON(),
    ...(extra.metrics !== undefined ? { metrics: extra.metrics } : {}),
    ...(extra.meta !== undefined ? { meta: extra.meta } : {}),
    weights,
    ...(optimizer.length > 0 ? { optimizer } : {}),
  };
  return { manifest, weights: blob.buffer };
}

/**
 * Rebuilds the model and tokenizer of a checkpoint. `manifest` is the parsed object or the manifest file's text.
 * Anything wrong (not JSON, other format or version, missing or extra weight, size mismatch, NaN) throws
 * an Error whose message starts with "checkpoint:" and names what is wrong.
 */
export function deserializeCheckpoint(
  manifest: unknown,
  weights: ArrayBuffer,
  opts: { trainable?: boolean } = {},
): { model: TransformerLM; tokenizer: Tokenizer; manifest: CheckpointManifest; optimizer: NamedWeight[] } {
  const m = parseManifest(manifest);
  const tokenizer = wrap(() => Tokenizer.fromJSON(m.tokenizer));
  if (tokenizer.vocabSize !== m.config.vocabSize) {
    throw new Error(`checkpoint: tokenizer has ${tokenizer.vocabSize} tokens but config.vocabSize is ${m.config.vocabSize}`);
  }
  // The model's own weight list for this config, checked against the file before anything is allocated: a small
  // manifest must not make us build a model of gigabytes only to find the weights file cannot fill it.
  const specs = parameterSpecs(m.config);
  const needed = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0) * 4;
  if (needed > weights.byteLength) {
    throw new Error(`checkpoint: the config needs ${needed} bytes of weights but the weights file has ${weights.byteLength} bytes (truncated?)`);
  }
  const listed = new Map(m.weights.map((w) => [w.name, w.shape]));
  for (const spec of specs) {
    const shape = listed.get(spec.name);
    if (!shape) throw new Error(`checkpoint: missing weight ${spec.name} (not in the manifest)`);
    if (shape.join(',') !== spec.shape.join(',')) {
      throw new Error(`checkpoint: weight ${spec.name} has shape [${shape}], the config needs [${spec.shape}]`);
    }
  }
  const named = readEntries(m.weights, weights);
  const optimizer = readEntries(m.optimizer ?? [], weights);
  const model = new TransformerLM(m.config, opts);
  try {
    wrap(() => model.setWeights(named));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, tokenizer, manifest: m, optimizer };
}

/** The arrays a manifest's table lists in the blob, each checked against the blob's size. */
function readEntries(table: readonly z.infer<typeof BlobEntrySchema>[], weights: ArrayBuffer): NamedWeight[] {
  const seen = new Set<string>();
  return table.map((w) => {
    if (seen.has(w.name)) throw new Error(`checkpoint: weight ${w.name} is listed twice`);
    seen.add(w.name);
    const expected = w.shape.reduce((a, b) => a * b, 1) * 4;
    if (w.length !== expected) {
      throw new Error(`checkpoint: weight ${w.name} of shape [${w.shape}] needs ${expected} bytes, the manifest says ${w.length}`);
    }
    if (w.offset % 4 !== 0) throw new Error(`checkpoint: weight ${w.name} starts at byte ${w.offset}, not a multiple of 4`);
    if (w.offset + w.length > weights.byteLength) {
      throw new Error(
        `checkpoint: weight ${w.name} ends at byte ${w.offset + w.length} but the weights file has ${weights.byteLength} bytes (truncated?)`,
      );
    }
    return { name: w.name, shape: w.shape, values: new Float32Array(weights.slice(w.offset, w.offset + w.length)) };
  });
}

/** Fetches `${baseUrl}/manifest.json` and `${baseUrl}/weights.bin` and rebuilds the checkpoint (browser or worker). */
export async function fetchCheckpoint(
  baseUrl: string,
  opts: { trainable?: boolean } = {},
): Promise<ReturnType<typeof deserializeCheckpoint>> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (file: string): Promise<Response> => {
    const res = await fetch(base + file);
    if (!res.ok) throw new Error(`checkpoint: ${base + file}: HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  const [manifest, weights] = await Promise.all([get(MANIFEST_FILE).then((r) => r.text()), get(WEIGHTS_FILE).then((r) => r.arrayBuffer())]);
  return deserializeCheckpoint(manifest, weights, opts);
}

function parseManifest(input: unknown): CheckpointManifest {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new Error(`checkpoint: the manifest is not valid JSON (${errorMessage(e)})`);
    }
  }
  const head = json as { format?: unknown; version?: unknown } | null;
  if (typeof head !== 'object' || head === null || head.format !== CHECKPOINT_FORMAT) {
    throw new Error(`checkpoint: not an ${CHECKPOINT_FORMAT} manifest (format is ${JSON.stringify(head?.format)})`);
  }
  if (head.version !== CHECKPOINT_VERSION) {
    throw new Error(`checkpoint: version ${JSON.stringify(head.version)} is not supported (this build reads version ${CHECKPOINT_VERSION})`);
  }
  const parsed = CheckpointManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`checkpoint: invalid manifest at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Runs `f`, prefixing its error message with "checkpoint:". */
function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`checkpoint: ${errorMessage(e)}`);
  }
}
