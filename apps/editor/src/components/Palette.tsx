// The palette: every node and action type; drag onto the canvas or click to add.
import { memo } from 'react';
import { PALETTE } from '../core/look.ts';
import { DND_TYPE } from './Canvas.tsx';

export const Palette = memo(function Palette(props: { onAdd: (key: string) => void }) {
  return (
    <aside className="fd-palette" data-testid="palette">
      {PALETTE.map((g) => (
        <div key={g.group}>
          <h4>{g.group}</h4>
          {g.entries.map((e) => (
            <div
              key={e.key}
              className="fd-palette-item"
              draggable
              role="button"
              tabIndex={0}
              title={`${e.help} — drag onto the canvas, or click to add`}
              data-testid={`palette-${e.key}`}
              style={{ ['--accent' as string]: e.color }}
              onDragStart={(ev) => {
                ev.dataTransfer.setData(DND_TYPE, e.key);
                ev.dataTransfer.setData('text/plain', e.key);
                ev.dataTransfer.effectAllowed = 'move';
              }}
              onClick={() => props.onAdd(e.key)}
              onKeyDown={(ev) => ev.key === 'Enter' && props.onAdd(e.key)}
            >
              <span className="fd-node-icon">{e.icon}</span>
              <span>
                <b>{e.label}</b>
                <small>{e.help}</small>
              </span>
            </div>
          ))}
        </div>
      ))}
    </aside>
  );
});
