// A two-route history router: / (gallery) and /watch/<videoId> (player). The edge serves
// the page for any client path, so a reload or a shared link lands on the same view.
import { useEffect, useState } from 'react';

const EVENT = 'videoforge:navigate';

export function parseRoute(pathname) {
  const match = /^\/watch\/([^/?#]+)\/?$/.exec(pathname);
  return match ? { name: 'watch', id: decodeURIComponent(match[1]) } : { name: 'gallery' };
}

export function watchPath(id) {
  return `/watch/${encodeURIComponent(id)}`;
}

export function navigate(path) {
  if (window.location.pathname === path) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(EVENT));
  window.scrollTo(0, 0);
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onChange);
    window.addEventListener(EVENT, onChange);
    return () => {
      window.removeEventListener('popstate', onChange);
      window.removeEventListener(EVENT, onChange);
    };
  }, []);
  return route;
}

/** Plain left clicks navigate in-page; modified clicks (new tab, etc.) keep the browser's way. */
export function onLinkClick(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const href = event.currentTarget.getAttribute('href');
  if (!href || !href.startsWith('/')) return;
  event.preventDefault();
  navigate(href);
}
