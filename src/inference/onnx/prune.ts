/** Dead-code elimination for an ONNX graph: drop nodes no graph output depends on, then unused initializers. */
import type { OnnxModel, OnnxNode } from './onnx-proto.js';

export function pruneGraph(model: OnnxModel): OnnxModel {
  const graph = model.graph;
  const needed = new Set(graph.output.map((o) => o.name));
  const kept: OnnxNode[] = [];
  for (let i = graph.node.length - 1; i >= 0; i--) {
    const node = graph.node[i] as OnnxNode;
    if (!node.output.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const v of node.input) if (v) needed.add(v);
  }
  kept.reverse();
  return {
    ...model,
    graph: { ...graph, node: kept, initializer: graph.initializer.filter((t) => needed.has(t.name)) },
  };
}
