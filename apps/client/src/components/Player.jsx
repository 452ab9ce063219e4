import { useEffect, useId, useRef, useState } from 'react';
import { canPlay, errorMessage, playlistUrl, posterUrl, withToken } from '../lib/api.js';
import { STATUS_LABELS, formatBytes, formatDate, formatDuration, isActive, statusDetail } from '../lib/format.js';
import Link from './Link.jsx';
import ProgressBar from './ProgressBar.jsx';

const POLL_MS = 2000;
const MAX_RECOVERIES = 3;

/** Attaches an HLS source: hls.js where Media Source Extensions exist, else native HLS (Safari, iOS). */
function useHls(videoRef, video, session) {
  const [levels, setLevels] = useState([]);
  const [level, setLevel] = useState(-1);
  const [error, setError] = useState('');
  const hlsRef = useRef(null);
  const ready = Boolean(video) && canPlay(video);
  const id = video?.id;

  useEffect(() => {
    if (!ready) return undefined;
    const element = videoRef.current;
    let cancelled = false;
    let hls = null;
    const source = async () => withToken(playlistUrl(video), await session.freshToken().catch(() => null));

    (async () => {
      const { default: Hls } = await import('hls.js');
      if (cancelled) return;
      const src = await source();
      if (cancelled) return;
      if (Hls.isSupported()) {
        // startPosition 0: a growing (EVENT) playlist is watched from its start, not its live edge.
        hls = new Hls({ enableWorker: true, lowLatencyMode: false, backBufferLength: 60, startPosition: 0 });
        hlsRef.current = hls;
        let renewedToken = false;
        let recoveries = 0;
        hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
          setLevels(data.levels.map((l, index) => ({ index, height: l.height, bitrate: l.bitrate })));
          element.play().catch(() => {
            // Autoplay refused (no user gesture): the controls are there.
          });
        });
        hls.on(Hls.Events.ERROR, async (_event, data) => {
          if (!data.fatal) return;
          const status = data.response?.code;
          if (data.type === Hls.ErrorTypes.NETWORK_ERROR && (status === 401 || status === 403) && !renewedToken) {
            // The token in the URL expired: renew it once and reload the playlist.
            renewedToken = true;
            try {
              await session.refresh();
              if (!cancelled) hls.loadSource(await source());
              return;
            } catch {
              // fall through to the error message
            }
          } else if (
            data.type === Hls.ErrorTypes.NETWORK_ERROR &&
            !(status >= 400 && status < 500) &&
            recoveries < MAX_RECOVERIES
          ) {
            // A transient failure (timeout, 5xx): reload the playlist or resume loading.
            recoveries += 1;
            if (String(data.details).startsWith('manifest')) {
              const src = await source();
              if (!cancelled) hls.loadSource(src);
            } else {
              hls.startLoad();
            }
            return;
          } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR && recoveries < MAX_RECOVERIES) {
            recoveries += 1;
            hls.recoverMediaError();
            return;
          }
          if (!cancelled) {
            setError(
              status === 404
                ? 'This video’s stream was not found. It may have been deleted.'
                : status === 401 || status === 403
                  ? 'You are not allowed to watch this video.'
                  : `Playback failed (${data.details}).`,
            );
          }
          hls.destroy();
        });
        hls.loadSource(src);
        hls.attachMedia(element);
      } else if (element.canPlayType('application/vnd.apple.mpegurl')) {
        element.src = src;
        element.play().catch(() => {});
      } else {
        setError('This browser cannot play HLS video.');
      }
    })().catch((err) => !cancelled && setError(errorMessage(err)));

    return () => {
      cancelled = true;
      hlsRef.current = null;
      if (hls) hls.destroy();
      else if (element) {
        element.removeAttribute('src');
        element.load();
      }
    };
  }, [id, ready, session]);

  const chooseLevel = (index) => {
    setLevel(index);
    if (hlsRef.current) hlsRef.current.currentLevel = index;
  };
  return { levels, level, chooseLevel, error };
}

export default function Player({ session, id, notify }) {
  const [video, setVideo] = useState(null);
  const [loadError, setLoadError] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const videoRef = useRef(null);
  const qualityId = useId();
  const { levels, level, chooseLevel, error: playError } = useHls(videoRef, video, session);

  useEffect(() => {
    const controller = new AbortController();
    let timer;
    const load = async () => {
      try {
        const fresh = await session.getVideo(id, controller.signal);
        setVideo(fresh);
        setNow(Date.now());
        setLoadError('');
        if (isActive(fresh)) timer = setTimeout(load, POLL_MS);
      } catch (err) {
        if (err.name === 'AbortError') return;
        setLoadError(errorMessage(err));
      }
    };
    load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [id, session]);

  useEffect(() => {
    if (video?.title) document.title = `${video.title} · VideoForge`;
    return () => {
      document.title = 'VideoForge';
    };
  }, [video?.title]);

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      notify('Link copied.', 'success');
    } catch {
      notify('Could not copy the link.', 'error');
    }
  };

  return (
    <section className="player-page" aria-labelledby="player-title">
      <Link className="back-link" href="/">
        ← Back to your videos
      </Link>
      {loadError && !video && (
        <div className="card empty" role="alert">
          <p>{loadError}</p>
        </div>
      )}
      {!video && !loadError && (
        <p className="loading" role="status">
          Loading…
        </p>
      )}
      {video && (
        <>
          <div className="player-frame">
            {canPlay(video) ? (
              <video
                ref={videoRef}
                className="player-video"
                controls
                playsInline
                preload="auto"
                poster={withToken(posterUrl(video), session.accessToken) || undefined}
                aria-label={video.title}
              />
            ) : (
              <div className="player-waiting" role="status">
                <span className={`badge ${video.status}`}>{STATUS_LABELS[video.status]}</span>
                <p>{statusDetail(video, now)}</p>
                {video.status === 'processing' && (
                  <ProgressBar value={video.progress} label="Transcoding progress" tone="info" />
                )}
                {video.status === 'queued' && <ProgressBar label="Waiting in the queue" indeterminate tone="info" />}
              </div>
            )}
          </div>
          {video.status === 'processing' && canPlay(video) && (
            <div className="player-note" role="status">
              <span>Still transcoding ({Math.round(video.progress || 0)}%): you are watching it as it is made.</span>
              <ProgressBar value={video.progress} label="Transcoding progress" tone="info" />
            </div>
          )}
          {playError && (
            <p className="form-error" role="alert">
              {playError}
            </p>
          )}
          <div className="player-info">
            <div>
              <h1 id="player-title">{video.title}</h1>
              <p className="muted">
                {[
                  formatDate(video.createdAt),
                  formatDuration(video.durationSeconds),
                  video.width && video.height ? `${video.width}×${video.height}` : '',
                  formatBytes(video.size),
                  video.visibility === 'public' ? 'Public' : 'Private',
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
            </div>
            <div className="player-tools">
              {levels.length > 1 && (
                <div className="field inline">
                  <label htmlFor={qualityId}>Quality</label>
                  <select id={qualityId} value={level} onChange={(e) => chooseLevel(Number(e.target.value))}>
                    <option value={-1}>Auto</option>
                    {levels.map((l) => (
                      <option key={l.index} value={l.index}>
                        {l.height ? `${l.height}p` : `${Math.round(l.bitrate / 1000)} kbps`}
                      </option>
                    ))}
                  </select>
                </div>
              )}
              <button type="button" className="button ghost small" onClick={copyLink}>
                Copy link
              </button>
            </div>
          </div>
          {video.description && <p className="player-description">{video.description}</p>}
        </>
      )}
    </section>
  );
}
