// The palette: every node and action type; drag onto the canvas or click to add.
import { memo, useState } from 'react';
import { PALETTE } from '../core/look.ts';
import { DND_TYPE } from './Canvas.tsx';

export const Palette = memo(function Palette(props: { onAdd: (key: string) => void }) {
  const [q, setQ] = useState('');
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const groups = PALETTE.map((g) => ({ ...g, entries: g.entries.filter((e) => words.every((w) => `${e.label} ${e.help} ${e.key} ${g.group}`.toLowerCase().includes(w))) })).filter((g) => g.entries.length);
  return (
    <aside className="fd-palette" data-testid="palette">
      <input
        type="search"
        className="fd-palette-search"
        placeholder="Search nodes and actions"
        aria-label="Search the palette"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          // Enter adds the first match, as n8n's node search does
          const first = groups[0]?.entries[0];
          if (e.key === 'Enter' && first) {
            props.onAdd(first.key);
            setQ('');
          }
        }}
        data-testid="palette-search"
      />
      {groups.length === 0 && <p className="fd-hint">Nothing matches “{q}”.</p>}
      {groups.map((g) => (
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
