// A stand-in with Parakeet TDT 0.6B's matrix sizes and random int8 weights, for the bench only
// (never committed): 24 blocks of d=1024, each with two feed-forward halves of 4096, q/k/v/out
// projections with one softmax attention, a 1024→2048 gated pointwise conv, a depthwise conv of
// kernel 9 and a 1024→1024 pointwise conv; int8 weights used through DynamicQuantizeLinear +
// MatMulInteger (what onnxruntime's dynamic quantisation emits); an 8× pooling in front; a joiner
// of 8193 tokens + 5 durations. It leaves out relative-position attention and the real
// subsampling convolution: its speed is indicative only, and its text is noise.
import { randomFillSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DT, encodeModel, floats, int64s } from '@whis/testkit';

const D = 1024;
const FF = 4096;
const BLOCKS = 24;
const VOCAB = 8192;
const PRED = 640;

function int8Tensor(dims, name) {
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = Buffer.alloc(n);
  randomFillSync(raw);
  return { name, type: DT.int8, dims, raw };
}
const uint8Scalar = (v, name) => ({ name, type: DT.uint8, dims: [], raw: Buffer.from([v]) });
const int8Scalar = (v, name) => ({ name, type: DT.int8, dims: [], raw: Buffer.from([v & 0xff]) });

function randomFloats(dims, scale, name) {
  const n = dims.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (Math.random() - 0.5) * 2 * scale;
  return floats(dims, v, name);
}

function encoderModel() {
  const nodes = [];
  const inits = [
    int64s([3], [0, 2, 1], 'perm'),
    uint8Scalar(0, 'zero_u8'),
    int8Scalar(0, 'zero_i8'),
    floats([], [1 / 128 / 64], 'wscale'),
    floats([], [0.5], 'half'),
    int64s([], [8], 'eight'),
    randomFloats([128, D], 0.05, 'w_in'),
  ];
  let n = 0;
  const t = (p) => `${p}_${n++}`;
  const add = (op, inputs, attrs) => {
    const out = t(op.toLowerCase());
    nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  };
  // x [N,T,in] times an int8 weight [in,out], as dynamic quantisation does it
  const qmatmul = (x, rows, cols) => {
    const w = `w${n++}`;
    inits.push(int8Tensor([rows, cols], w));
    const q = t('xq');
    const s = t('xs');
    const z = t('xz');
    nodes.push({ op: 'DynamicQuantizeLinear', inputs: [x], outputs: [q, s, z] });
    const acc = add('MatMulInteger', [q, w, z, 'zero_i8']);
    const f = add('Cast', [acc], { to: DT.float });
    const scale = add('Mul', [s, 'wscale']);
    return add('Mul', [f, scale]);
  };
  const norm = (x) => {
    const mean = add('ReduceMean', [x], { axes: [-1] });
    const c = add('Sub', [x, mean]);
    const sq = add('Mul', [c, c]);
    const v = add('ReduceMean', [sq], { axes: [-1] });
    const sd = add('Sqrt', [add('Add', [v, 'half'])]);
    return add('Div', [c, sd]);
  };
  const pooled = add('AveragePool', ['audio_signal'], { kernel_shape: [8], strides: [8] });
  let h = add('MatMul', [add('Transpose', [pooled], { perm: [0, 2, 1] }), 'w_in']);
  for (let b = 0; b < BLOCKS; b++) {
    const ff = (x) => qmatmul(add('Relu', [qmatmul(norm(x), D, FF)]), FF, D);
    h = add('Add', [h, add('Mul', [ff(h), 'half'])]);
    const x = norm(h);
    const q = qmatmul(x, D, D);
    const k = qmatmul(x, D, D);
    const v = qmatmul(x, D, D);
    const scores = add('MatMul', [q, add('Transpose', [k], { perm: [0, 2, 1] })]);
    const att = add('MatMul', [add('Softmax', [scores], { axis: -1 }), v]);
    h = add('Add', [h, qmatmul(att, D, D)]);
    const glu = qmatmul(norm(h), D, 2 * D);
    const [a, g] = [t('a'), t('g')];
    nodes.push({ op: 'Split', inputs: [glu], outputs: [a, g], attrs: { axis: -1 } });
    const gated = add('Mul', [a, add('Sigmoid', [g])]);
    const dw = `dw${n++}`;
    inits.push(randomFloats([D, 1, 9], 0.1, dw));
    const conv = add('Conv', [add('Transpose', [gated], { perm: [0, 2, 1] }), dw], {
      group: D,
      pads: [4, 4],
      kernel_shape: [9],
    });
    h = add('Add', [h, qmatmul(add('Transpose', [conv], { perm: [0, 2, 1] }), D, D)]);
    h = add('Add', [h, add('Mul', [ff(h), 'half'])]);
    h = norm(h);
  }
  nodes.push({ op: 'Transpose', inputs: [h], outputs: ['outputs'], attrs: { perm: [0, 2, 1] } });
  nodes.push({ op: 'Div', inputs: ['length', 'eight'], outputs: ['encoded_lengths'] });
  return {
    inputs: [
      { name: 'audio_signal', type: DT.float, dims: ['N', 128, 'T'] },
      { name: 'length', type: DT.int64, dims: ['N'] },
    ],
    outputs: [
      { name: 'outputs', type: DT.float, dims: ['N', D, 'S'] },
      { name: 'encoded_lengths', type: DT.int64, dims: ['N'] },
    ],
    initializers: inits,
    nodes,
    metadata: {
      vocab_size: String(VOCAB),
      subsampling_factor: '8',
      normalize_type: 'per_feature',
      pred_rnn_layers: '2',
      pred_hidden: String(PRED),
      feat_dim: '128',
      model_type: 'EncDecRNNTBPEModel',
      url: 'bench stand-in of parakeet-tdt-0.6b',
    },
  };
}

function decoderModel() {
  return {
    inputs: [
      { name: 'targets', type: DT.int32, dims: ['N', 1] },
      { name: 'target_length', type: DT.int32, dims: ['N'] },
      { name: 'states.1', type: DT.float, dims: [2, 'N', PRED] },
      { name: 'onnx::Slice_3', type: DT.float, dims: [2, 'N', PRED] },
    ],
    outputs: [
      { name: 'outputs', type: DT.float, dims: ['N', PRED, 1] },
      { name: 'prednet_lengths', type: DT.int32, dims: ['N'] },
      { name: 'states', type: DT.float, dims: [2, 'N', PRED] },
      { name: '162', type: DT.float, dims: [2, 'N', PRED] },
    ],
    initializers: [
      randomFloats([VOCAB + 1, PRED], 0.1, 'embed'),
      int64s([3], [-1, PRED, 1], 'shape'),
    ],
    nodes: [
      { op: 'Gather', inputs: ['embed', 'targets'], outputs: ['e'] },
      { op: 'Reshape', inputs: ['e', 'shape'], outputs: ['outputs'] },
      { op: 'Identity', inputs: ['target_length'], outputs: ['prednet_lengths'] },
      { op: 'Identity', inputs: ['states.1'], outputs: ['states'] },
      { op: 'Identity', inputs: ['onnx::Slice_3'], outputs: ['162'] },
    ],
  };
}

function joinerModel() {
  const V = VOCAB + 1 + 5;
  // the blank and a duration of 1 step are favoured, so the decoder does not emit at every step
  const bias = new Float32Array(V);
  bias[VOCAB] = 4;
  bias[VOCAB + 2] = 4;
  return {
    inputs: [
      { name: 'encoder_outputs', type: DT.float, dims: [1, D, 1] },
      { name: 'decoder_outputs', type: DT.float, dims: [1, PRED, 1] },
    ],
    outputs: [{ name: 'logits', type: DT.float, dims: [1, 1, 1, V] }],
    initializers: [
      int64s([2], [1, D], 'ef'),
      int64s([2], [1, PRED], 'df'),
      int64s([4], [1, 1, 1, V], 'shape'),
      randomFloats([D, V], 0.02, 'we'),
      randomFloats([PRED, V], 0.02, 'wd'),
      floats([V], bias, 'bias'),
    ],
    nodes: [
      { op: 'Reshape', inputs: ['encoder_outputs', 'ef'], outputs: ['e'] },
      { op: 'Reshape', inputs: ['decoder_outputs', 'df'], outputs: ['d'] },
      { op: 'MatMul', inputs: ['e', 'we'], outputs: ['a'] },
      { op: 'MatMul', inputs: ['d', 'wd'], outputs: ['b'] },
      { op: 'Add', inputs: ['a', 'b'], outputs: ['c'] },
      { op: 'Add', inputs: ['c', 'bias'], outputs: ['s'] },
      { op: 'Reshape', inputs: ['s', 'shape'], outputs: ['logits'] },
    ],
  };
}

/** Writes the stand-in into `dir`; returns its files by role. */
export async function writeStandIn(dir) {
  await mkdir(dir, { recursive: true });
  const files = {
    encoder: join(dir, 'encoder.int8.onnx'),
    decoder: join(dir, 'decoder.int8.onnx'),
    joiner: join(dir, 'joiner.int8.onnx'),
    tokens: join(dir, 'tokens.txt'),
  };
  await writeFile(files.encoder, encodeModel(encoderModel()));
  await writeFile(files.decoder, encodeModel(decoderModel()));
  await writeFile(files.joiner, encodeModel(joinerModel()));
  const lines = Array.from({ length: VOCAB }, (_, i) => `▁t${i} ${i}`);
  lines.push(`<blk> ${VOCAB}`);
  await writeFile(files.tokens, `${lines.join('\n')}\n`);
  return files;
}
