// A minimal writer of ONNX model files (protobuf), enough for small graphs with hand-set weights:
// the tests of the offline engine generate their models with it at run time, so no binary model is
// kept in git and no Python is needed. Field numbers are those of onnx/onnx.proto (IR 8).

/** ONNX tensor element types used here. */
export const DT = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
export type DataType = (typeof DT)[keyof typeof DT];

function varint(value: number | bigint): Buffer {
  // negative int64 values are ten bytes of two's complement, as protobuf writes them
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Buffer.from(out);
}

const tag = (field: number, wire: number): Buffer => varint((field << 3) | wire);
const vint = (field: number, value: number | bigint): Buffer =>
  Buffer.concat([tag(field, 0), varint(value)]);
const bytes = (field: number, data: Buffer | string): Buffer => {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([tag(field, 2), varint(body.length), body]);
};
const f32 = (field: number, value: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value);
  return Buffer.concat([tag(field, 5), b]);
};

/** A tensor: an initializer or an attribute value. */
export interface Tensor {
  name?: string;
  type: DataType;
  dims: readonly number[];
  /** Little-endian element bytes (`raw_data`). */
  raw: Buffer;
}

/** A float32 tensor. */
export function floats(dims: readonly number[], values: ArrayLike<number>, name?: string): Tensor {
  return { name, type: DT.float, dims, raw: Buffer.from(new Float32Array(values).buffer) };
}
/** An int64 tensor. */
export function int64s(dims: readonly number[], values: readonly number[], name?: string): Tensor {
  return {
    name,
    type: DT.int64,
    dims,
    raw: Buffer.from(new BigInt64Array(values.map((v) => BigInt(v))).buffer),
  };
}
/** An int8 tensor. */
export function int8s(dims: readonly number[], values: Int8Array, name?: string): Tensor {
  return {
    name,
    type: DT.int8,
    dims,
    raw: Buffer.from(values.buffer, values.byteOffset, values.length),
  };
}

function tensorProto(t: Tensor): Buffer {
  return Buffer.concat([
    ...t.dims.map((d) => vint(1, d)),
    vint(2, t.type),
    ...(t.name ? [bytes(8, t.name)] : []),
    bytes(9, t.raw),
  ]);
}

/** An attribute value: a number is an int unless `float` is set; arrays of numbers are ints. */
export type Attr = number | string | Tensor | readonly number[] | { float: number };

function attributeProto(name: string, value: Attr): Buffer {
  const parts = [bytes(1, name)];
  if (typeof value === 'number') parts.push(vint(3, value), vint(20, 2));
  else if (typeof value === 'string') parts.push(bytes(4, value), vint(20, 3));
  else if (Array.isArray(value)) {
    parts.push(bytes(8, Buffer.concat(value.map((v: number) => varint(v)))), vint(20, 7));
  } else if ('float' in value) parts.push(f32(2, value.float), vint(20, 1));
  else parts.push(bytes(5, tensorProto(value as Tensor)), vint(20, 4));
  return Buffer.concat(parts);
}

/** A node of the graph. */
export interface Node {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, Attr>;
}

/** A graph input or output: name, element type, dims (a string is a symbolic dimension). */
export interface ValueInfo {
  name: string;
  type: DataType;
  dims: readonly (number | string)[];
}

function valueInfoProto(v: ValueInfo): Buffer {
  const shape = Buffer.concat(
    v.dims.map((d) => bytes(1, typeof d === 'number' ? vint(1, d) : bytes(2, d))),
  );
  const tensorType = Buffer.concat([vint(1, v.type), bytes(2, shape)]);
  return Buffer.concat([bytes(1, v.name), bytes(2, bytes(1, tensorType))]);
}

/** A whole model. */
export interface Model {
  nodes: readonly Node[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly Tensor[];
  metadata?: Record<string, string>;
  opset?: number;
}

/** The bytes of an ONNX model file (IR 8, opset 13 unless told). */
export function encodeModel(model: Model): Buffer {
  const graph = Buffer.concat([
    ...model.nodes.map((n, i) =>
      bytes(
        1,
        Buffer.concat([
          ...n.inputs.map((s) => bytes(1, s)),
          ...n.outputs.map((s) => bytes(2, s)),
          bytes(3, `${n.op}_${i}`),
          bytes(4, n.op),
          ...Object.entries(n.attrs ?? {}).map(([k, v]) => bytes(5, attributeProto(k, v))),
        ]),
      ),
    ),
    bytes(2, 'graph'),
    ...(model.initializers ?? []).map((t) => bytes(5, tensorProto(t))),
    ...model.inputs.map((v) => bytes(11, valueInfoProto(v))),
    ...model.outputs.map((v) => bytes(12, valueInfoProto(v))),
  ]);
  return Buffer.concat([
    vint(1, 8),
    bytes(2, 'whis-testkit'),
    bytes(7, graph),
    bytes(8, Buffer.concat([bytes(1, ''), vint(2, model.opset ?? 13)])),
    ...Object.entries(model.metadata ?? {}).map(([k, v]) =>
      bytes(14, Buffer.concat([bytes(1, k), bytes(2, v)])),
    ),
  ]);
}
