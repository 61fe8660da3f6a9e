import { useCallback, useEffect, useState } from 'react';

export type Route = { name: 'home' } | { name: 'room'; roomId: string };

/** `/` is home, `/r/{anything}` is a room (its id is validated later). */
export function parseRoute(pathname: string): Route {
  const m = /^\/r\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    let roomId = m[1];
    try {
      roomId = decodeURIComponent(roomId);
    } catch {
      // keep it raw: it will be reported as invalid
    }
    return { name: 'room', roomId };
  }
  return { name: 'home' };
}

/** A tiny History API router: the current route and a `navigate(path)`. */
export function useRoute(): [Route, (path: string) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.pathname));

  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback((path: string) => {
    if (path !== window.location.pathname) window.history.pushState(null, '', path);
    setRoute(parseRoute(path));
  }, []);

  return [route, navigate];
}
