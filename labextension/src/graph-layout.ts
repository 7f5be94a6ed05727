import * as dagre from '@dagrejs/dagre';

/** A node placed by the layout: its top-left corner and size, in pixels. */
export interface IPlacedNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge from a stage it needs to the stage, as an SVG path through the layout's points. */
export interface IPlacedEdge {
  from: string;
  to: string;
  path: string;
}

export interface IGraphLayout {
  nodes: IPlacedNode[];
  edges: IPlacedEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 68;

/**
 * Lay a DAG out left to right with dagre (a stage after every stage it needs). `needs` maps
 * each node to the nodes it depends on; a need that is not a node is left out.
 */
export function layoutGraph(
  needs: Record<string, string[]>,
  size = { width: NODE_WIDTH, height: NODE_HEIGHT }
): IGraphLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({
    rankdir: 'LR',
    nodesep: 28,
    ranksep: 56,
    marginx: 8,
    marginy: 8
  });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const id of Object.keys(needs)) {
    graph.setNode(id, { ...size });
  }
  for (const [id, ups] of Object.entries(needs)) {
    for (const up of ups.filter(u => u in needs)) {
      graph.setEdge(up, id);
    }
  }
  dagre.layout(graph);
  const nodes = graph.nodes().map(id => {
    const n = graph.node(id);
    return {
      id,
      x: n.x - n.width / 2,
      y: n.y - n.height / 2,
      width: n.width,
      height: n.height
    };
  });
  const edges = graph.edges().map(e => ({
    from: e.v,
    to: e.w,
    path: pathThrough(graph.edge(e).points ?? [])
  }));
  const { width = 0, height = 0 } = graph.graph();
  return { nodes, edges, width, height };
}

/** A smooth path through the layout's points (a straight line through two). */
function pathThrough(points: { x: number; y: number }[]): string {
  if (points.length === 0) {
    return '';
  }
  const [first, ...rest] = points;
  let d = `M${first.x},${first.y}`;
  if (rest.length === 1) {
    return `${d} L${rest[0].x},${rest[0].y}`;
  }
  for (let i = 0; i < rest.length - 1; i++) {
    const mid = {
      x: (rest[i].x + rest[i + 1].x) / 2,
      y: (rest[i].y + rest[i + 1].y) / 2
    };
    d += ` Q${rest[i].x},${rest[i].y} ${mid.x},${mid.y}`;
  }
  const last = rest[rest.length - 1];
  return `${d} L${last.x},${last.y}`;
}
