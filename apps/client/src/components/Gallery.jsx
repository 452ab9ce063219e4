import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../lib/api.js';
import { ACTIVE_STATUSES, isActive } from '../lib/format.js';
import { appendPage, mergeFirstPage, replaceVideo } from '../lib/gallery.js';
import EditDialog from './EditDialog.jsx';
import VideoCard from './VideoCard.jsx';

const PAGE_SIZE = 24;
const POLL_MS = 2000;

/** The signed-in user's videos, refreshed every 2 s while any of them is still moving. */
export default function Gallery({ session, notify, uploads, version }) {
  const [videos, setVideos] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [state, setState] = useState('loading'); // loading | ready | error
  const [error, setError] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const [editing, setEditing] = useState(null);
  const [now, setNow] = useState(() => Date.now());
  const videosRef = useRef(videos);
  const announced = useRef(new Set());
  videosRef.current = videos;

  const refresh = useCallback(
    async (signal) => {
      try {
        const page = await session.listVideos({ limit: PAGE_SIZE }, signal);
        // Tell the person when something they were waiting for finishes.
        const before = new Map(videosRef.current.map((v) => [v.id, v.status]));
        for (const video of page.items || []) {
          const was = before.get(video.id);
          const key = `${video.id}:${video.status}:${video.updatedAt}`;
          if (!was || was === video.status || !ACTIVE_STATUSES.has(was) || announced.current.has(key)) continue;
          announced.current.add(key);
          if (video.status === 'ready') notify(`“${video.title}” is ready to watch.`, 'success');
          if (video.status === 'failed') notify(`“${video.title}” could not be processed.`, 'error');
        }
        setVideos((shown) => mergeFirstPage(shown, page));
        setCursor((current) => (videosRef.current.length > PAGE_SIZE ? current : page.nextCursor));
        setState('ready');
        setError('');
        setNow(Date.now());
      } catch (err) {
        if (err.name === 'AbortError') return;
        setError(errorMessage(err));
        setState((s) => (s === 'loading' ? 'error' : s));
      }
    },
    [session, notify],
  );

  // First load, and again whenever an upload was confirmed (or failed) in this tab.
  useEffect(() => {
    const controller = new AbortController();
    refresh(controller.signal);
    return () => controller.abort();
  }, [refresh, version]);

  const uploading = uploads.items.some((item) => ['starting', 'uploading', 'confirming'].includes(item.phase));
  const moving = uploading || videos.some((v) => isActive(v));
  useEffect(() => {
    if (!moving) return undefined;
    const controller = new AbortController();
    let timer;
    const tick = async () => {
      await refresh(controller.signal);
      if (!controller.signal.aborted) timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [moving, refresh]);

  const loadMore = async () => {
    setLoadingMore(true);
    try {
      const page = await session.listVideos({ limit: PAGE_SIZE, cursor });
      setVideos((shown) => appendPage(shown, page));
      setCursor(page.nextCursor);
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setLoadingMore(false);
    }
  };

  const act = async (work, success) => {
    try {
      const result = await work();
      if (success) notify(success, 'success');
      return result;
    } catch (err) {
      notify(errorMessage(err), 'error');
      return undefined;
    }
  };

  const retry = async (video) => {
    const updated = await act(() => session.retryVideo(video.id), `“${video.title}” is queued again.`);
    if (updated) setVideos((shown) => replaceVideo(shown, updated));
    else refresh();
  };

  const remove = async (video) => {
    const done = await act(async () => {
      await session.deleteVideo(video.id);
      return true;
    }, `Deleted “${video.title}”.`);
    if (done) {
      uploads.forgetVideo(video.id);
      setVideos((shown) => shown.filter((v) => v.id !== video.id));
    }
  };

  const resume = (video, file) => {
    if (file.name !== video.fileName || file.size !== video.size) {
      notify(`That is not the same file: choose ${video.fileName} (${video.size} bytes).`, 'error');
      return;
    }
    uploads.start(file, video.title, { resumeVideoId: video.id });
  };

  const save = async (video, changes) => {
    const updated = await session.updateVideo(video.id, changes);
    setVideos((shown) => replaceVideo(shown, updated || { id: video.id, ...changes }));
    notify('Changes saved.', 'success');
  };

  return (
    <section className="gallery" aria-labelledby="gallery-title">
      <div className="section-head">
        <h2 id="gallery-title">Your videos</h2>
        {state === 'ready' && (
          <span className="muted" aria-live="polite">
            {videos.length} {videos.length === 1 ? 'video' : 'videos'}
            {moving && ' · updating live'}
          </span>
        )}
      </div>
      {state === 'loading' && (
        <p className="loading" role="status">
          Loading your videos…
        </p>
      )}
      {state === 'error' && (
        <div className="card empty" role="alert">
          <p>Could not load your videos: {error}</p>
          <button type="button" className="button" onClick={() => refresh()}>
            Try again
          </button>
        </div>
      )}
      {state === 'ready' && videos.length === 0 && (
        <div className="card empty">
          <p>No videos yet. Upload one above and it will appear here while it is transcoded.</p>
        </div>
      )}
      {state === 'ready' && error && videos.length > 0 && (
        <p className="form-error" role="status">
          Live updates paused: {error}
        </p>
      )}
      {videos.length > 0 && (
        <ul className="video-grid">
          {videos.map((video) => (
            <VideoCard
              key={video.id}
              video={video}
              now={now}
              upload={uploads.items.find((item) => item.videoId === video.id)}
              onRetry={retry}
              onDelete={remove}
              onEdit={setEditing}
              onResume={resume}
            />
          ))}
        </ul>
      )}
      {cursor && state === 'ready' && (
        <div className="load-more">
          <button type="button" className="button" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
      {editing && (
        <EditDialog
          video={editing}
          onSave={(changes) => save(editing, changes)}
          onClose={() => setEditing(null)}
        />
      )}
    </section>
  );
}
