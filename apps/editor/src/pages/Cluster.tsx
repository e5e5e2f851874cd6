// The Cluster page: the instances sharing the database as it sees them (GET /api/cluster) — which are
// alive, what each has open, who holds each lease — so an operator of several instances sees a dead one
// and what the others are taking over. On the embedded store: one process, and what that means.
import { useCallback } from 'react';
import type { ClusterView } from '@flowdesk/schema';
import { get } from '../api.ts';
import { usePoll, when } from './Runs.tsx';

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en') : n.toFixed(1));
/** "lead 12 · forms 3": an instance's recent webhook requests per path */
const demand = (byPath: Record<string, number> | null) =>
  Object.entries(byPath ?? {})
    .map(([path, n]) => `${path} ${fmt(n)}`)
    .join(' · ') || '—';
const short = (id: string) => (id.length > 13 ? `${id.slice(0, 8)}…` : id);

/** "4 s ago" from the database's timestamps and the browser's clock (a rough age, for reading). */
function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : when(iso);
}

export function ClusterPage() {
  const view = usePoll(useCallback(() => get<ClusterView>('/api/cluster'), []), 5_000);
  const v = view.data;
  return (
    <div className="fd-page" data-testid="cluster-page">
      <h2>Cluster</h2>
      {view.error && <div className="fd-callout error">{view.error}</div>}
      {v?.store === 'embedded' && (
        <p className="fd-hint" data-testid="cluster-embedded">
          One process on the embedded store: it owns its data dir, and nothing is shared. To run several instances behind a proxy, move to PostgreSQL (docs/scaling.md).
        </p>
      )}
      {v?.store === 'postgres' && (
        <>
          <p className="fd-hint">
            The instances sharing this database. One that has not heartbeaten for {v.leaseMs / 1000} s is stopped: the others take over its open runs and its leases.
          </p>
          <table className="fd-table" data-testid="cluster-instances">
            <thead>
              <tr>
                <th>Instance</th>
                <th>Status</th>
                <th>Started</th>
                <th>Last heartbeat</th>
                <th>Open runs</th>
                <th title="webhook requests per path lately (halved each third of the lease without new ones): what the rate shares are weighed by">Webhooks lately</th>
              </tr>
            </thead>
            <tbody>
              {v.instances.map((i) => (
                <tr key={i.id} data-testid="cluster-instance" data-id={i.id}>
                  <td title={i.id}>
                    <code>{short(i.id)}</code> {i.self && <span className="fd-pill">this one</span>}
                  </td>
                  <td>
                    <span className={`fd-pill ${i.alive ? 'st-succeeded' : 'st-dead'}`} data-testid="instance-status">
                      {i.alive ? 'alive' : 'stopped'}
                    </span>
                  </td>
                  <td>{when(i.startedAt)}</td>
                  <td>{ago(i.heartbeatAt)}</td>
                  <td data-testid="instance-open-runs">{i.openRuns}</td>
                  <td data-testid="instance-hook-demand">{demand(i.hookDemand)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="fd-hint" data-testid="cluster-hook-rate">
            This instance lets {fmt(v.hookRate.perSecond)} webhooks per second through per path (bursts of {fmt(v.hookRate.burst)}): its share of FLOWDESK_HOOK_RATE, shared by
            the instances alive; a path with requests lately takes a share weighed by where they arrive.
          </p>
          {Object.keys(v.hookRate.paths).length > 0 && (
            <ul className="fd-hint" data-testid="cluster-path-rates">
              {Object.entries(v.hookRate.paths).map(([path, r]) => (
                <li key={path} data-testid="cluster-path-rate" data-path={path}>
                  <code>/hooks/{path}</code>: {fmt(r.perSecond)} per second (bursts of {fmt(r.burst)})
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {v && (
        <>
          <h3>Leases</h3>
          <p className="fd-hint">Long-lived inbound work — a mailbox, a polling trigger — done by one instance at a time.</p>
          {v.leases.length === 0 ? (
            <p className="fd-hint" data-testid="cluster-no-leases">
              No leases held.
            </p>
          ) : (
            <table className="fd-table" data-testid="cluster-leases">
              <thead>
                <tr>
                  <th>Work</th>
                  <th>Instance</th>
                  <th>Token</th>
                  <th>Status</th>
                  <th>Until</th>
                </tr>
              </thead>
              <tbody>
                {v.leases.map((l) => (
                  <tr key={l.name} data-testid="cluster-lease" data-name={l.name}>
                    <td>
                      <code>{l.name}</code>
                    </td>
                    <td title={l.holder}>
                      <code>{short(l.instance ?? l.holder)}</code>
                    </td>
                    <td>{l.token}</td>
                    <td>
                      <span className={`fd-pill ${l.held ? 'st-succeeded' : 'warn'}`} data-testid="lease-status">
                        {l.held ? 'held' : 'ran out'}
                      </span>
                    </td>
                    <td>{l.expiresAt ? when(l.expiresAt) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
