import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Session } from './lib/api.js';
import AuthView from './components/AuthView.jsx';
import Gallery from './components/Gallery.jsx';
import Header from './components/Header.jsx';
import Notices from './components/Notices.jsx';
import Player from './components/Player.jsx';
import UploadPanel from './components/UploadPanel.jsx';
import { useUploads } from './components/useUploads.js';
import { useRoute } from './lib/router.js';

let nextNoticeId = 1;

export default function App() {
  const session = useMemo(() => new Session(), []);
  const [auth, setAuth] = useState(session.restorable ? 'restoring' : 'signedOut');
  const [email, setEmail] = useState(session.email);
  const [notices, setNotices] = useState([]);
  const [galleryVersion, setGalleryVersion] = useState(0);
  const route = useRoute();
  const mainRef = useRef(null);

  const notify = useCallback((message, tone = 'info') => {
    const id = nextNoticeId++;
    setNotices((list) => [...list, { id, message, tone }]);
    setTimeout(() => setNotices((list) => list.filter((n) => n.id !== id)), tone === 'error' ? 9000 : 5000);
  }, []);
  const dismiss = useCallback((id) => setNotices((list) => list.filter((n) => n.id !== id)), []);

  useEffect(
    () =>
      session.subscribe(() => {
        setEmail(session.email);
        setAuth(session.signedIn ? 'signedIn' : 'signedOut');
      }),
    [session],
  );

  useEffect(() => {
    if (auth !== 'restoring') return;
    session.restore().then((ok) => setAuth(ok ? 'signedIn' : 'signedOut'));
  }, [auth, session]);

  // Move focus to the main region when the view changes, for keyboard and screen-reader users.
  useEffect(() => {
    mainRef.current?.focus({ preventScroll: true });
  }, [route.name, auth]);

  const refreshGallery = useCallback(() => setGalleryVersion((v) => v + 1), []);
  const uploads = useUploads({ session, notify, onConfirmed: refreshGallery });

  const signOut = () => {
    uploads.cancelAll();
    session.signOut();
    notify('Signed out.');
  };

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header email={auth === 'signedIn' ? email : ''} onSignOut={signOut} />
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        {auth === 'restoring' && (
          <p className="loading" role="status">
            Restoring your session…
          </p>
        )}
        {auth === 'signedOut' && <AuthView session={session} notify={notify} />}
        {auth === 'signedIn' && route.name === 'gallery' && (
          <>
            <UploadPanel uploads={uploads} />
            <Gallery session={session} notify={notify} uploads={uploads} version={galleryVersion} />
          </>
        )}
        {auth === 'signedIn' && route.name === 'watch' && (
          <Player key={route.id} session={session} id={route.id} notify={notify} />
        )}
      </main>
      <Notices notices={notices} onDismiss={dismiss} />
    </>
  );
}
