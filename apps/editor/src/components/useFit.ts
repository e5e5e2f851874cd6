// Fit view for the canvas: every node shown as large as the canvas allows, none under the minimap
// (core/fit.ts decides the viewport; this reads the canvas, the minimap and the measured nodes).
import { useCallback } from 'react';
import { useReactFlow, useStoreApi } from '@xyflow/react';
import { fitViewport } from '../core/fit.ts';

export interface FitRequest {
  duration?: number;
  maxZoom?: number;
  /** positions just set (Tidy up): React Flow's store may not have them yet */
  positions?: Map<string, { x: number; y: number }>;
}

export function useFit(): (r?: FitRequest) => Promise<boolean> {
  const rf = useReactFlow();
  const store = useStoreApi();
  return useCallback(
    async (r: FitRequest = {}) => {
      // the canvas as it is now (React Flow's stored size can lag a panel opening or closing)
      const { domNode } = store.getState();
      const width = domNode?.clientWidth ?? 0, height = domNode?.clientHeight ?? 0;
      if (!width || !height) return false;
      const boxes = rf
        .getNodes()
        .filter((n) => !n.hidden)
        .map((n) => ({ ...(r.positions?.get(n.id) ?? n.position), width: n.measured?.width ?? n.width ?? 220, height: n.measured?.height ?? n.height ?? 90 }));
      const mm = domNode?.querySelector('.react-flow__minimap')?.getBoundingClientRect();
      // the minimap's box plus its margin from the canvas edge (React Flow panels sit 15 px in)
      const corner = mm && mm.width ? { width: mm.width + 30, height: mm.height + 30 } : undefined;
      const v = fitViewport(boxes, { width, height, corner, maxZoom: r.maxZoom ?? 1, minZoom: 0.05 });
      return rf.setViewport(v, r.duration ? { duration: r.duration } : undefined);
    },
    [rf, store],
  );
}
