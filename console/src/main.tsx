import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, onSessionChange, signOut } from './api';
import { Audit } from './pages/Audit';
import { Backstage } from './pages/Backstage';
import { Finances } from './pages/Finances';
import { Licenses } from './pages/Licenses';
import { Maintenance } from './pages/Maintenance';
import { SignIn } from './pages/SignIn';
import { User } from './pages/User';
import { Users } from './pages/Users';
import { onLinkClick, useLocation } from './router';
import './styles.css';

const NAV: [string, string][] = [
  ['/users', 'Users'],
  ['/backstage', 'Backstage'],
  ['/licenses', 'Licenses'],
  ['/finances', 'Finances'],
  ['/audit', 'Audit log'],
  ['/maintenance', 'Maintenance'],
];

function Page({ path }: { path: string }) {
  const user = /^\/users\/([^/]+)$/.exec(path);
  if (user) return <User id={decodeURIComponent(user[1])} />;
  switch (path) {
    case '/':
    case '/users':
      return <Users />;
    case '/backstage':
      return <Backstage />;
    case '/licenses':
      return <Licenses />;
    case '/finances':
      return <Finances />;
    case '/audit':
      return <Audit />;
    case '/maintenance':
      return <Maintenance />;
    default:
      return <p class="empty">This page does not exist.</p>;
  }
}

function App() {
  const [session, setSession] = useState(currentSession);
  const [ended, setEnded] = useState(false);
  const { path } = useLocation();
  useEffect(
    () =>
      onSessionChange(() => {
        const next = currentSession();
        setSession((previous) => {
          if (previous && !next) setEnded(true);
          if (next) setEnded(false);
          return next;
        });
      }),
    [],
  );
  if (!session) return <SignIn ended={ended} />;
  const section = path === '/' ? '/users' : `/${path.split('/')[1]}`;
  return (
    <div class="shell" onClick={onLinkClick}>
      <header>
        <a class="brand" href="/admin/users">
          Beat platform · admin
        </a>
        <nav aria-label="Sections">
          {NAV.map(([href, label]) => (
            <a key={href} href={`/admin${href}`} aria-current={section === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">{session.email}</span>
        <button type="button" class="quiet" onClick={() => void signOut().then(() => setEnded(false))}>
          Sign out
        </button>
      </header>
      <main>
        <Page path={path} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
