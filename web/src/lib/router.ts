/* A tiny client-side router over the History API. */
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'home' }
  | { page: 'join'; room: string; invite: string }
  | { page: 'room'; room: string }
  | { page: 'summary'; room: string }
  | { page: 'replay'; room: string }
  | { page: 'notfound'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  const q = new URLSearchParams(search);
  let m: RegExpExecArray | null;
  if (p === '/') return { page: 'home' };
  if ((m = /^\/join\/([^/]+)$/.exec(p))) return { page: 'join', room: decodeURIComponent(m[1]), invite: q.get('invite') ?? '' };
  if ((m = /^\/room\/([^/]+)\/summary$/.exec(p))) return { page: 'summary', room: decodeURIComponent(m[1]) };
  if ((m = /^\/room\/([^/]+)$/.exec(p))) return { page: 'room', room: decodeURIComponent(m[1]) };
  if ((m = /^\/replay\/([^/]+)$/.exec(p))) return { page: 'replay', room: decodeURIComponent(m[1]) };
  return { page: 'notfound', path: p };
}

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const fn of listeners) fn();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname, location.search));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/* Intercepts plain left clicks on same-origin links. */
export function onLinkClick(e: React.MouseEvent<HTMLAnchorElement>): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = e.currentTarget.getAttribute('href');
  if (!href || !href.startsWith('/')) return;
  e.preventDefault();
  navigate(href);
}
