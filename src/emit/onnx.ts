/**
 * ONNX target: prints a tensor plan (src/plan) as an ONNX model, one or a few ONNX nodes per plan
 * node, encoded with the `onnx-proto` package (protobufjs code generated from the official
 * onnx.proto). Opset 17, float32; symbolic dimensions become `dim_param`s (the batch sizes), so one
 * file serves every batch. Deterministic: the same plan gives the same bytes.
 */
import onnxProto from "onnx-proto";
import type { UnaryOp } from "../ir/ops.js";
import { isSym, liveNodes, type Shape, type TensorId, type TensorPlan } from "../plan/tensor.js";

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
const AttributeType = onnx.AttributeProto.AttributeType;
const DataType = onnx.TensorProto.DataType;

export const ONNX_OPSET = 17;

const UNARY: Record<UnaryOp, string> = {
  neg: "Neg",
  sin: "Sin",
  cos: "Cos",
  tan: "Tan",
  exp: "Exp",
  log: "Log",
  sqrt: "Sqrt",
  tanh: "Tanh",
  sinh: "Sinh",
  cosh: "Cosh",
  asin: "Asin",
  acos: "Acos",
  atan: "Atan",
  asinh: "Asinh",
  acosh: "Acosh",
  atanh: "Atanh",
};
const BINARY = { add: "Add", sub: "Sub", mul: "Mul", div: "Div", pow: "Pow" } as const;

export interface OnnxGraphSpec {
  name: string;
  docString: string;
  /** Output name → plan node. */
  outputs: readonly { name: string; node: TensorId }[];
}

const ints = (name: string, values: number[]) => ({ name, type: AttributeType.INTS, ints: values });
const int = (name: string, value: number) => ({ name, type: AttributeType.INT, i: value });

function valueInfo(name: string, shape: Shape, elemType: number) {
  const dim = shape.map((d) => (isSym(d) ? { dimParam: d.k === 1 ? d.sym : `${d.k}${d.sym}` } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

class Printer {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  private readonly constNames = new Map<string, string>();

  constructor(private readonly plan: TensorPlan) {}

  name = (id: TensorId): string => {
    const op = this.plan.node(id).op;
    return op.kind === "input" ? op.name : op.kind === "const" ? this.float(op.value) : `t${id}`;
  };

  private constant(key: string, make: (name: string) => ITensor): string {
    let name = this.constNames.get(key);
    if (!name) {
      name = `k${this.constNames.size}`;
      this.constNames.set(key, name);
      this.initializers.push(make(name));
    }
    return name;
  }

  float(value: number): string {
    return this.constant(`f${value}`, (name) => ({ name, dims: [], dataType: DataType.FLOAT, floatData: [value] }));
  }

  int64s(values: number[]): string {
    return this.constant(`i${values.join(",")}`, (name) => ({
      name,
      dims: [values.length],
      dataType: DataType.INT64,
      rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
    }));
  }

  emit(opType: string, input: string[], output: string, attribute: object[] = []): void {
    this.nodes.push({ opType, input, output: [output], name: output, attribute });
  }

  /** The ONNX nodes of one plan node, writing the tensor `t{id}`. */
  print(id: TensorId): void {
    const node = this.plan.node(id);
    const op = node.op;
    const out = this.name(id);
    const args = node.args.map(this.name);
    const [a, b] = args as [string, string];
    switch (op.kind) {
      case "input":
      case "const":
        return;
      case "constTensor":
        this.initializers.push({
          name: out,
          dims: node.shape as number[],
          dataType: DataType.FLOAT,
          rawData: new Uint8Array(op.values.slice().buffer),
        });
        return;
      case "unary":
        this.emit(UNARY[op.op], [a], out);
        return;
      case "binary":
        this.emit(BINARY[op.op], [a, b], out);
        return;
      case "powi":
        this.powi(a, op.k, out);
        return;
      case "step":
        this.emit("Greater", [a, this.float(0)], `${out}_b`);
        this.emit("Cast", [`${out}_b`], out, [int("to", DataType.FLOAT)]);
        return;
      case "equal":
        this.emit("Equal", [a, b], `${out}_b`);
        this.emit("Cast", [`${out}_b`], out, [int("to", DataType.FLOAT)]);
        return;
      case "round":
        this.emit("Round", [a], out);
        return;
      case "detach":
        this.emit("Identity", [a], out);
        return;
      case "gemm":
        this.emit("Gemm", [a, b], out, [int("transA", op.transA ? 1 : 0), int("transB", op.transB ? 1 : 0)]);
        return;
      case "matmul":
        this.emit("MatMul", [a, b], out);
        return;
      case "transpose":
        this.emit("Transpose", [a], out, [ints("perm", op.perm)]);
        return;
      case "reshape":
        this.emit("Reshape", [a, this.int64s(node.shape.map((d) => (isSym(d) ? -1 : d)))], out);
        return;
      case "slice":
        this.emit("Slice", [a, this.int64s([op.start]), this.int64s([op.end]), this.int64s([op.axis])], out);
        return;
      case "concat":
        this.emit("Concat", args, out, [int("axis", op.axis)]);
        return;
      case "reduceSum":
        this.emit("ReduceSum", [a, this.int64s(op.axes)], out, [int("keepdims", op.keepdims ? 1 : 0)]);
        return;
      case "reduceMax":
        this.emit("ReduceMax", [a], out, [ints("axes", op.axes), int("keepdims", op.keepdims ? 1 : 0)]);
        return;
      case "expandLike":
        this.emit("Shape", [b], `${out}_s`);
        this.emit("Expand", [a, `${out}_s`], out);
        return;
      case "zerosLike":
        this.emit("Shape", [a], `${out}_s`);
        this.emit("Expand", [this.float(0), `${out}_s`], out);
        return;
      case "gatherRows":
        this.emit("Gather", [a, b], out, [int("axis", 0)]);
        return;
    }
  }

  /** x^k by multiplications (exact for negative x, unlike Pow in some kernels). */
  private powi(x: string, k: number, out: string): void {
    const n = Math.abs(k);
    if (n > 4) {
      this.emit("Pow", [x, this.float(k)], out);
      return;
    }
    const positive = k > 0 ? out : `${out}_p`;
    const sq = n >= 2 ? `${out}_2` : x;
    if (n >= 2) this.emit("Mul", [x, x], n === 2 ? positive : sq);
    if (n === 3) this.emit("Mul", [sq, x], positive);
    if (n === 4) this.emit("Mul", [sq, sq], positive);
    if (k < 0) this.emit("Reciprocal", [positive], out);
  }
}

/** The ONNX model bytes of a plan's outputs. */
export function emitOnnx(plan: TensorPlan, spec: OnnxGraphSpec): Uint8Array {
  const printer = new Printer(plan);
  const roots = spec.outputs.map((o) => o.node);
  const live = liveNodes(plan, roots);
  for (const id of live) printer.print(id);
  const liveSet = new Set(live);
  const outputs = spec.outputs.map((o) => {
    printer.emit("Identity", [printer.name(o.node)], o.name);
    return valueInfo(o.name, plan.shape(o.node), DataType.FLOAT);
  });
  const inputs = plan.inputs
    .filter((id) => liveSet.has(id))
    .map((id) => {
      const op = plan.node(id).op;
      if (op.kind !== "input") throw new Error("not an input");
      return valueInfo(op.name, plan.shape(id), op.dtype === "int64" ? DataType.INT64 : DataType.FLOAT);
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "ricci-gen",
    producerVersion: "0.1.0",
    docString: spec.docString,
    graph: { name: spec.name, node: printer.nodes, initializer: printer.initializers, input: inputs, output: outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}
