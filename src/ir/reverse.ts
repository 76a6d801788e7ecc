/**
 * Reverse-mode differentiation of a block inside its own DAG: given adjoints (seeds) of some
 * outputs, returns the adjoint of each requested input as new nodes. Each op's local derivatives
 * come from its rule in ops.ts; hash-consing shares the forward values the adjoints reuse.
 */
import type { Builder, NodeId } from "./graph.js";
import { RULES } from "./ops.js";

export function adjoints(b: Builder, seeds: ReadonlyMap<NodeId, NodeId>, wrt: readonly NodeId[]): NodeId[] {
  // Only nodes on a path from some seed back to the inputs carry adjoints; walk ids downwards.
  let top = -1;
  for (const id of seeds.keys()) top = Math.max(top, id);
  const contributions = new Map<NodeId, NodeId[]>();
  for (const [id, seed] of seeds) contributions.set(id, [...(contributions.get(id) ?? []), seed]);
  const adjoint = new Map<NodeId, NodeId>();
  for (let id = top; id >= 0; id--) {
    const parts = contributions.get(id);
    if (!parts) continue;
    const bar = b.sum(parts);
    contributions.delete(id);
    adjoint.set(id, bar);
    if (b.isZero(bar)) continue;
    const n = b.node(id);
    if (n.op === "const" || n.op === "input") continue;
    const local = RULES[n.op].derivative(b, n.args, id, n.value);
    n.args.forEach((arg, i) => {
      const term = b.mul(bar, local[i]!);
      if (b.isZero(term)) return;
      const list = contributions.get(arg);
      if (list) list.push(term);
      else contributions.set(arg, [term]);
    });
  }
  return wrt.map((id) => adjoint.get(id) ?? b.num(0));
}
