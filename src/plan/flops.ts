/**
 * FLOP counts of a lowered plan at concrete sizes: 2·m·k·n per matrix product, one per element of
 * every elementwise op (a multiply-add counts 2 where the plan has the two ops). Data movement
 * (reshape, slice, concat, transpose, expand) counts 0. Used by `bench` for GFLOP/s.
 */
import { isSym, liveNodes, type Dim, type TensorId, type TensorPlan } from "./tensor.js";

export interface FlopCount {
  /** Matrix products (gemm and batched matmul). */
  matmul: number;
  /** Elementwise arithmetic and reductions. */
  elementwise: number;
  /** The largest single matrix product, as [m, k, n]. */
  largest: [number, number, number];
}

export function planFlops(plan: TensorPlan, roots: readonly TensorId[], sizes: Readonly<Record<string, number>>): FlopCount {
  const dim = (d: Dim): number => {
    if (!isSym(d)) return d;
    const v = sizes[d.sym];
    if (v === undefined) throw new Error(`no size for the symbolic dimension ${d.sym}`);
    return d.k * v;
  };
  const count = (id: TensorId): number => plan.shape(id).reduce<number>((a, d) => a * dim(d), 1);
  const result: FlopCount = { matmul: 0, elementwise: 0, largest: [0, 0, 0] };
  const product = (m: number, k: number, n: number, batch = 1): void => {
    result.matmul += 2 * batch * m * k * n;
    if (m * k * n > result.largest.reduce((a, b) => a * b, 1)) result.largest = [m, k, n];
  };
  for (const id of liveNodes(plan, roots)) {
    const node = plan.node(id);
    const op = node.op;
    switch (op.kind) {
      case "gemm": {
        const a = plan.shape(node.args[0]!).map(dim);
        const [m, k] = op.transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
        product(m, k, dim(node.shape[1]!));
        break;
      }
      case "matmul": {
        const a = plan.shape(node.args[0]!).map(dim);
        product(a[1]!, a[2]!, dim(node.shape[2]!), a[0]!);
        break;
      }
      case "unary":
      case "binary":
      case "powi":
      case "step":
      case "equal":
        result.elementwise += count(id);
        break;
      case "reduceSum":
      case "reduceMax":
        result.elementwise += count(node.args[0]!);
        break;
      default:
        break;
    }
  }
  return result;
}
