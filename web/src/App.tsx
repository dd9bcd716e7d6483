import { lazy, Suspense, useEffect } from 'react';
import { useRoute, onLinkClick } from './lib/router';
import { ThemeToggle } from './components/ThemeToggle';
import { Home } from './pages/Home';
import { Join } from './pages/Join';

// The editor pages carry Monaco and Yjs: load them only when needed.
const Room = lazy(() => import('./pages/Room'));
const Replay = lazy(() => import('./pages/Replay'));
const SummaryPage = lazy(() => import('./pages/Summary'));

export function App() {
  const route = useRoute();
  useEffect(() => {
    const titles: Record<string, string> = {
      home: 'TandemCode',
      join: 'Join a room · TandemCode',
      room: 'Room · TandemCode',
      replay: 'Replay · TandemCode',
      summary: 'Summary · TandemCode',
      notfound: 'Not found · TandemCode',
    };
    document.title = titles[route.page];
  }, [route.page]);

  let page;
  switch (route.page) {
    case 'home':
      page = <Home />;
      break;
    case 'join':
      page = <Join room={route.room} invite={route.invite} />;
      break;
    case 'room':
      page = <Room key={route.room} room={route.room} />;
      break;
    case 'replay':
      page = <Replay key={route.room} room={route.room} />;
      break;
    case 'summary':
      page = <SummaryPage key={route.room} room={route.room} />;
      break;
    default:
      page = (
        <main className="page narrow">
          <h1>Page not found</h1>
          <p>
            There is nothing at <code>{route.path}</code>.{' '}
            <a href="/" onClick={onLinkClick}>
              Go home
            </a>
            .
          </p>
        </main>
      );
  }
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="/" onClick={onLinkClick} aria-label="TandemCode home">
          TandemCode
        </a>
        <ThemeToggle />
      </header>
      <Suspense fallback={<main className="page" aria-busy="true"><p className="muted">Loading…</p></main>}>{page}</Suspense>
    </div>
  );
}
