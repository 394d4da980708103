import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFileServer, type FileServer } from './file-server.js';
import { DT, encodeModel, floats, int64s, type Model } from './onnx.js';

/** The word the generated Parakeet writes for each burst of sound. */
export const BURST_WORD = 'word';

/** How a generated model is broken, to test what a bad download or folder does. */
export type BrokenParakeet = 'no-blank' | 'missing-metadata' | 'truncated';

/** The files of a generated Parakeet TDT, as sherpa-onnx's `transducer` config takes them. */
export interface TinyParakeet {
  dir: string;
  encoder: string;
  decoder: string;
  joiner: string;
  tokens: string;
}

// A frame counts as loud when the mean of its 128 log-mel bands is above this: silence is about
// -15.9 (log of the feature extractor's epsilon); noise at a tenth of full scale is far above 0.
const LOUD = -8;
const FRAMES_PER_STEP = 8;

// Encoder: the log-mel averaged over frequency, pooled over 8 frames, "loud" steps marked and
// their onsets (loud now, quiet before) as a second channel: [N, 2, T/8].
function encoder(metadata: Record<string, string>): Model {
  return {
    inputs: [
      { name: 'audio_signal', type: DT.float, dims: ['N', 128, 'T'] },
      { name: 'length', type: DT.int64, dims: ['N'] },
    ],
    outputs: [
      { name: 'outputs', type: DT.float, dims: ['N', 2, 'S'] },
      { name: 'encoded_lengths', type: DT.int64, dims: ['N'] },
    ],
    initializers: [
      floats([], [LOUD], 'loud'),
      int64s([], [FRAMES_PER_STEP], 'step'),
      int64s([6], [0, 0, 1, 0, 0, 0], 'pads'),
      int64s([1], [0], 'start'),
      int64s([1], [-1], 'end'),
      int64s([1], [2], 'axis'),
    ],
    nodes: [
      { op: 'ReduceMean', inputs: ['audio_signal'], outputs: ['mean'], attrs: { axes: [1] } },
      {
        op: 'AveragePool',
        inputs: ['mean'],
        outputs: ['pooled'],
        attrs: { kernel_shape: [FRAMES_PER_STEP], strides: [FRAMES_PER_STEP] },
      },
      { op: 'Greater', inputs: ['pooled', 'loud'], outputs: ['is_loud'] },
      { op: 'Cast', inputs: ['is_loud'], outputs: ['loudness'], attrs: { to: DT.float } },
      { op: 'Pad', inputs: ['loudness', 'pads'], outputs: ['padded'] },
      { op: 'Slice', inputs: ['padded', 'start', 'end', 'axis'], outputs: ['before'] },
      { op: 'Sub', inputs: ['loudness', 'before'], outputs: ['rise'] },
      { op: 'Relu', inputs: ['rise'], outputs: ['onset'] },
      { op: 'Concat', inputs: ['onset', 'loudness'], outputs: ['outputs'], attrs: { axis: 1 } },
      { op: 'Div', inputs: ['length', 'step'], outputs: ['encoded_lengths'] },
    ],
    metadata,
  };
}

// Decoder (prediction network): one layer of one unit that passes its states through; its output
// does not change what the joiner decides.
function decoder(): Model {
  return {
    inputs: [
      { name: 'targets', type: DT.int32, dims: ['N', 1] },
      { name: 'target_length', type: DT.int32, dims: ['N'] },
      { name: 'states.1', type: DT.float, dims: [1, 'N', 1] },
      { name: 'onnx::Slice_3', type: DT.float, dims: [1, 'N', 1] },
    ],
    outputs: [
      { name: 'outputs', type: DT.float, dims: ['N', 1, 1] },
      { name: 'prednet_lengths', type: DT.int32, dims: ['N'] },
      { name: 'states', type: DT.float, dims: [1, 'N', 1] },
      { name: '162', type: DT.float, dims: [1, 'N', 1] },
    ],
    initializers: [int64s([3], [-1, 1, 1], 'shape')],
    nodes: [
      { op: 'Cast', inputs: ['targets'], outputs: ['as_float'], attrs: { to: DT.float } },
      { op: 'Reshape', inputs: ['as_float', 'shape'], outputs: ['outputs'] },
      { op: 'Identity', inputs: ['target_length'], outputs: ['prednet_lengths'] },
      { op: 'Identity', inputs: ['states.1'], outputs: ['states'] },
      { op: 'Identity', inputs: ['onnx::Slice_3'], outputs: ['162'] },
    ],
  };
}

// Joiner: scores [word, blank, 5 durations]. The word wins at an onset (10 against 5), the blank
// elsewhere; a duration of 1 step always wins, so each onset is seen once.
function joiner(): Model {
  return {
    inputs: [
      { name: 'encoder_outputs', type: DT.float, dims: [1, 2, 1] },
      { name: 'decoder_outputs', type: DT.float, dims: [1, 1, 1] },
    ],
    outputs: [{ name: 'logits', type: DT.float, dims: [1, 1, 1, 7] }],
    initializers: [
      int64s([2], [1, 2], 'flat'),
      int64s([4], [1, 1, 1, 7], 'shape'),
      floats([2, 7], [10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'weight'),
      floats([7], [0, 5, 0, 3, 0, 0, 0], 'bias'),
    ],
    nodes: [
      { op: 'Reshape', inputs: ['encoder_outputs', 'flat'], outputs: ['frame'] },
      { op: 'Gemm', inputs: ['frame', 'weight', 'bias'], outputs: ['scores'] },
      { op: 'Reshape', inputs: ['scores', 'shape'], outputs: ['logits'] },
    ],
  };
}

/**
 * Writes a Parakeet TDT of about 1 KB a file into `dir` (sherpa-onnx `modelType: 'nemo_transducer'`)
 * that writes one word ("word") for each burst of sound: silence decodes to "", N bursts separated
 * by at least half a second of silence to N words, deterministically. `broken` writes a variant
 * that fails as a bad model does: `no-blank` and `missing-metadata` end the process that loads it
 * (sherpa-onnx exits 255), `truncated` is a catchable error.
 */
export async function writeTinyParakeet(
  dir: string,
  broken?: BrokenParakeet,
): Promise<TinyParakeet> {
  await mkdir(dir, { recursive: true });
  const metadata: Record<string, string> = {
    vocab_size: '1',
    subsampling_factor: String(FRAMES_PER_STEP),
    normalize_type: '',
    pred_rnn_layers: '1',
    pred_hidden: '1',
    feat_dim: '128',
    model_type: 'EncDecRNNTBPEModel',
    url: 'generated parakeet-tdt stand-in',
  };
  if (broken === 'missing-metadata') delete metadata.pred_hidden;
  const files: TinyParakeet = {
    dir,
    encoder: join(dir, 'encoder.int8.onnx'),
    decoder: join(dir, 'decoder.int8.onnx'),
    joiner: join(dir, 'joiner.int8.onnx'),
    tokens: join(dir, 'tokens.txt'),
  };
  let enc = encodeModel(encoder(metadata));
  if (broken === 'truncated') enc = enc.subarray(0, Math.floor(enc.length / 2));
  await writeFile(files.encoder, enc);
  await writeFile(files.decoder, encodeModel(decoder()));
  await writeFile(files.joiner, encodeModel(joiner()));
  await writeFile(
    files.tokens,
    broken === 'no-blank' ? `▁${BURST_WORD} 0\n<unk> 1\n` : `▁${BURST_WORD} 0\n<blk> 1\n`,
  );
  return files;
}

/**
 * 16 kHz mono audio in [-1, 1]: `bursts` bursts of noise of `burstMs` each, with `gapMs` of silence
 * before, between and after them. What the generated Parakeet hears as `bursts` words.
 */
export function burstsPcm(
  bursts: number,
  options: { burstMs?: number; gapMs?: number; amplitude?: number; seed?: number } = {},
): Float32Array {
  const { burstMs = 400, gapMs = 600, amplitude = 0.3 } = options;
  const rate = 16_000;
  const burst = Math.round((rate * burstMs) / 1000);
  const gap = Math.round((rate * gapMs) / 1000);
  const out = new Float32Array(gap + bursts * (burst + gap));
  // a small deterministic generator: the same audio in every run
  let state = options.seed ?? 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000 - 0.5;
  };
  for (let b = 0; b < bursts; b++) {
    const start = gap + b * (burst + gap);
    for (let i = 0; i < burst; i++) out[start + i] = 2 * amplitude * next();
  }
  return out;
}

/** A generated model served as a catalogue row would be: `whis model download NAME --mirror URL`. */
export interface ServedModel {
  /** The catalogue row's name. */
  name: string;
  /** The mirror's base URL (`--mirror`, `modelMirror`). */
  mirror: string;
  /** A catalogue file naming the model with its sizes and hashes (`WHIS_MODEL_CATALOGUE`). */
  catalogueFile: string;
  server: FileServer;
  close(): Promise<void>;
}

/**
 * Writes the generated Parakeet into `dir`, serves its files at a pinned revision's paths, and writes
 * a catalogue file (in `dir`) that names it with their sizes and SHA-256: a download through the real
 * path (hashes checked), with no real model.
 */
export async function serveTinyParakeet(dir: string, name = 'tiny-parakeet'): Promise<ServedModel> {
  const model = await writeTinyParakeet(join(dir, 'files'));
  const repo = 'example/tiny-parakeet';
  const revision = 'b'.repeat(40);
  const served = new Map<string, Buffer>();
  const files = [];
  for (const [role, path, file] of [
    ['encoder', 'encoder.int8.onnx', model.encoder],
    ['decoder', 'decoder.int8.onnx', model.decoder],
    ['joiner', 'joiner.int8.onnx', model.joiner],
    ['tokens', 'tokens.txt', model.tokens],
  ] as const) {
    const data = await readFile(file);
    served.set(`/${repo}/resolve/${revision}/${path}`, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    files.push({ role, path, bytes: data.length, sha256, source: 'generated for the test' });
  }
  const server = await startFileServer(served);
  const catalogueFile = join(dir, 'catalogue.json');
  await writeFile(
    catalogueFile,
    JSON.stringify([
      {
        name,
        title: 'Generated Parakeet TDT',
        type: 'nemo-transducer',
        languages: ['en'],
        licence: 'MIT',
        sizeBytes: files.reduce((n, f) => n + f.bytes, 0),
        memoryMiB: 1,
        memoryNote: 'generated',
        repo,
        revision,
        files,
      },
    ]),
  );
  return { name, mirror: server.url, catalogueFile, server, close: () => server.close() };
}
