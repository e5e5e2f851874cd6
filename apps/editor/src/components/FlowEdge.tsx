// The canvas's edge: React Flow's bezier path, with the port label as plain SVG text. React Flow's own
// label measures itself (getBBox, a forced layout per label) and wraps each label in a transformed
// group; with a few hundred labelled edges that cost most of a frame on load and while dragging.
import { memo } from 'react';
import { BaseEdge, getBezierPath, type EdgeProps, type EdgeTypes } from '@xyflow/react';

export const FlowEdge = memo(function FlowEdge(p: EdgeProps) {
  const [path, labelX, labelY] = getBezierPath(p);
  return (
    <>
      <BaseEdge path={path} style={p.style} markerEnd={p.markerEnd} markerStart={p.markerStart} interactionWidth={p.interactionWidth} />
      {typeof p.label === 'string' && p.label && (
        <text className="react-flow__edge-text fd-edge-label" x={labelX} y={labelY} textAnchor="middle" dominantBaseline="central">
          {p.label}
        </text>
      )}
    </>
  );
});

/** At module scope, so React Flow never sees a new object. */
export const edgeTypes: EdgeTypes = { flow: FlowEdge };
