// The app shell: navigation, routes, and the admin sign-in when the runtime asks for a token.
import { lazy, Suspense, useEffect, useState } from 'react';
import { getToken, onAuthRequired, setToken } from './api.ts';
import { navigate, usePath } from './router.ts';
import { EditorPage } from './components/Editor.tsx';
import { FlowList } from './pages/FlowList.tsx';
import { RunsPage, RunView } from './pages/Runs.tsx';
import { DeadLettersPage, OutboxPage, ReviewsPage } from './pages/Queues.tsx';
import { ConnectionsPage } from './pages/Connections.tsx';
import { ClusterPage } from './pages/Cluster.tsx';
// loaded on demand: it pulls in the engine and charts, which the canvas does not need to start
const DashboardPage = lazy(() => import('./dashboard/Dashboard.tsx').then((m) => ({ default: m.DashboardPage })));
// likewise: it validates with the schema package, which the canvas loads only after its first render
const StateMapPage = lazy(() => import('./pages/StateMap.tsx').then((m) => ({ default: m.StateMapPage })));

const NAV = [
  { to: '/', label: 'Flows', match: (p: string) => p === '/' || p.startsWith('/flows') },
  { to: '/dashboard', label: 'Dashboard', match: (p: string) => p.startsWith('/dashboard') },
  { to: '/runs', label: 'Runs', match: (p: string) => p.startsWith('/runs') },
  { to: '/reviews', label: 'Reviews', match: (p: string) => p.startsWith('/reviews') },
  { to: '/dead-letters', label: 'Dead letters', match: (p: string) => p.startsWith('/dead-letters') },
  { to: '/outbox', label: 'Outbox', match: (p: string) => p.startsWith('/outbox') },
  { to: '/connections', label: 'Connections', match: (p: string) => p.startsWith('/connections') },
  { to: '/states', label: 'States', match: (p: string) => p.startsWith('/states') },
  { to: '/cluster', label: 'Cluster', match: (p: string) => p.startsWith('/cluster') },
];

function SignIn(props: { onDone: () => void }) {
  const [v, setV] = useState('');
  return (
    <div className="fd-modal-back">
      <form
        className="fd-modal"
        data-testid="sign-in"
        onSubmit={(e) => {
          e.preventDefault();
          setToken(v.trim());
          props.onDone();
        }}
      >
        <h3>Sign in</h3>
        <p className="fd-hint">This Flowdesk needs its admin token (FLOWDESK_ADMIN_TOKEN). It is kept for this browser tab only.</p>
        <input type="password" autoFocus value={v} onChange={(e) => setV(e.target.value)} placeholder="admin token" data-testid="sign-in-token" />
        <div className="fd-modal-actions">
          <button type="submit" className="fd-btn primary" data-testid="sign-in-submit">
            Sign in
          </button>
        </div>
      </form>
    </div>
  );
}

export function App() {
  const path = usePath();
  const [needAuth, setNeedAuth] = useState(false);
  const [epoch, setEpoch] = useState(0);
  useEffect(() => onAuthRequired(() => setNeedAuth(true)), []);
  let page;
  let m: RegExpExecArray | null;
  if ((m = /^\/flows\/([^/]+)$/.exec(path))) page = <EditorPage flowId={decodeURIComponent(m[1]!)} />;
  else if ((m = /^\/runs\/([^/]+)$/.exec(path))) page = <RunView key={m[1]} runId={decodeURIComponent(m[1]!)} />;
  else if (path.startsWith('/runs')) page = <RunsPage />;
  else if (path.startsWith('/reviews')) page = <ReviewsPage />;
  else if (path.startsWith('/dead-letters')) page = <DeadLettersPage />;
  else if (path.startsWith('/outbox')) page = <OutboxPage />;
  else if (path.startsWith('/connections')) page = <ConnectionsPage />;
  else if (path.startsWith('/cluster')) page = <ClusterPage />;
  else if (path.startsWith('/states'))
    page = (
      <Suspense fallback={<div className="fd-page">Loading…</div>}>
        <StateMapPage />
      </Suspense>
    );
  else if (path.startsWith('/dashboard'))
    page = (
      <Suspense fallback={<div className="fd-page">Loading…</div>}>
        <DashboardPage />
      </Suspense>
    );
  else page = <FlowList />;
  return (
    <div className="fd-app">
      <nav className="fd-nav">
        <span className="fd-logo">◆ Flowdesk</span>
        {NAV.map((n) => (
          <a
            key={n.to}
            href={n.to}
            className={n.match(path) ? 'active' : ''}
            data-testid={`nav-${n.label.toLowerCase().replace(' ', '-')}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(n.to);
            }}
          >
            {n.label}
          </a>
        ))}
        <span className="fd-grow" />
        {getToken() && (
          <button
            type="button"
            className="fd-link"
            onClick={() => {
              setToken(null);
              setEpoch((x) => x + 1);
            }}
          >
            Sign out
          </button>
        )}
      </nav>
      <main className="fd-main" key={epoch}>
        {page}
      </main>
      {needAuth && (
        <SignIn
          onDone={() => {
            setNeedAuth(false);
            setEpoch((x) => x + 1);
          }}
        />
      )}
    </div>
  );
}
