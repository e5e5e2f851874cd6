// The flow's "not configured" banner: connector nodes whose connection is missing, not connected,
// broken or of another app. Their steps end `not-configured` (nothing is sent) or fail until it is fixed.
import { useEffect, useMemo, useState } from 'react';
import { connectorUses, type ConnectionView } from '@flowdesk/schema/specs';
import type { Flow } from '@flowdesk/schema';
import { get } from '../api.ts';
import { navigate } from '../router.ts';

export function ConnectionBanner({ flow }: { flow: Pick<Flow, 'id' | 'nodes'> }) {
  const [list, setList] = useState<ConnectionView[] | null>(null);
  useEffect(() => {
    get<ConnectionView[]>('/api/connections')
      .then(setList)
      .catch(() => setList(null));
  }, []);
  const problems = useMemo(() => (list ? connectorUses([flow], list).filter((u) => u.status !== 'ready') : []), [flow, list]);
  if (problems.length === 0) return null;
  return (
    <div className="fd-banner error" data-testid="connection-banner">
      Not configured:{' '}
      {problems.map((u, i) => (
        <span key={u.nodeId}>
          {i > 0 && '; '}
          <b>{u.nodeId}</b> ({u.action}) {u.connection ? <>— connection <code>{u.connection}</code> is {u.status === 'missing' ? 'not set up' : u.status}</> : '— no connection picked'}
        </span>
      ))}
      . Until then these steps do not send anything.{' '}
      <a
        href="/connections"
        onClick={(e) => {
          e.preventDefault();
          navigate('/connections');
        }}
      >
        Set up connections
      </a>
    </div>
  );
}
