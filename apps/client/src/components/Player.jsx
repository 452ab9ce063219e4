import { useEffect, useId, useRef, useState } from 'react';
import { canPlay, errorMessage, posterUrl, renewalDelay } from '../lib/api.js';
import {
  STATUS_LABELS,
  formatBytes,
  formatDate,
  formatDuration,
  isActive,
  showsProgress,
  statusDetail,
} from '../lib/format.js';
import Link from './Link.jsx';
import ProgressBar from './ProgressBar.jsx';

const POLL_MS = 2000;
const MAX_RECOVERIES = 3;
// Renewals in a row without a segment loading in between: past this, give up and say so.
const MAX_RENEWALS = 3;

/** The stream or S3 refused a request: a playback token or presigned URLs that expired. */
function refused(status) {
  return status === 400 || status === 401 || status === 403;
}

function failureMessage(status, details) {
  if (status === 404) return 'This video’s stream was not found. It may have been deleted.';
  if (refused(status)) return 'You are not allowed to watch this video.';
  return `Playback failed (${details}).`;
}

/**
 * Plays `source()` (a grant: a playlist URL with a fresh playback token) with hls.js. When
 * anything is refused (the token expired: 401; the CDN's cookie or a presigned segment URL
 * expired: 403, or S3's 400 ExpiredToken), a fresh grant and fresh playlists are fetched and
 * playback resumes where it was; `onGrant` hears of each grant. Returns a function that stops it.
 */
function playWithHls(Hls, element, { source, onGrant, onLevels, onFail }) {
  let hls = null;
  let stopped = false;
  let renewals = 0;
  let recoveries = 0;
  const fail = (status, details) => {
    if (stopped) return;
    onFail(failureMessage(status, details));
    hls?.destroy();
  };
  const start = async (startPosition) => {
    const grant = await source();
    if (stopped) return;
    onGrant(grant);
    hls?.destroy();
    // startPosition 0: a growing (EVENT) playlist is watched from its start, not its live edge.
    hls = new Hls({ enableWorker: true, lowLatencyMode: false, backBufferLength: 60, startPosition });
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      onLevels(hls, data.levels.map((l, index) => ({ index, height: l.height, bitrate: l.bitrate })));
      element.play().catch(() => {}); // autoplay refused (no user gesture): the controls are there
    });
    hls.on(Hls.Events.FRAG_LOADED, () => {
      renewals = 0;
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      const status = data.response?.code;
      const network = data.type === Hls.ErrorTypes.NETWORK_ERROR;
      if (network && refused(status)) {
        // Fatal or not: a refused token or URL does not heal by asking again with it.
        if (renewals >= MAX_RENEWALS) return fail(status, data.details);
        renewals += 1;
        start(element.currentTime || 0).catch((err) => fail(err.status, errorMessage(err)));
      } else if (!data.fatal) {
        // hls.js retries or switches level by itself.
      } else if (network && !(status >= 400 && status < 500) && recoveries < MAX_RECOVERIES) {
        recoveries += 1; // a transient failure (timeout, 5xx): resume loading
        hls.startLoad();
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR && recoveries < MAX_RECOVERIES) {
        recoveries += 1;
        hls.recoverMediaError();
      } else {
        fail(status, data.details);
      }
    });
    hls.loadSource(grant.playlistUrl);
    hls.attachMedia(element);
  };
  start(0).catch((err) => fail(err.status, errorMessage(err)));
  return () => {
    stopped = true;
    hls?.destroy();
  };
}

/**
 * Keeps a playing video's access fresh: before each grant ends, a new grant and its master
 * playlist, whose answer renews the CDN's cookies for the segments; the player itself is not
 * touched, so playback goes on. Returns a function that stops it.
 */
function keepAccessFresh(session, id) {
  let timer = null;
  let stopped = false;
  const schedule = (expiresIn) => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(async () => {
      try {
        schedule(await session.renewPlayback({ id }));
      } catch {
        schedule(60); // asked again; a refusal meanwhile restarts the player with a fresh grant
      }
    }, renewalDelay(expiresIn));
  };
  return {
    granted: (grant) => schedule(grant.expiresIn),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

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
    let stop = null;
    const access = keepAccessFresh(session, id);
    const source = () => session.playbackGrant({ id });
    (async () => {
      const { default: Hls } = await import('hls.js');
      if (cancelled) return;
      if (Hls.isSupported()) {
        stop = playWithHls(Hls, element, {
          source,
          onGrant: access.granted,
          onLevels: (hls, found) => {
            hlsRef.current = hls;
            setLevels(found);
          },
          onFail: (message) => !cancelled && setError(message),
        });
      } else if (element.canPlayType('application/vnd.apple.mpegurl')) {
        const grant = await source();
        if (cancelled) return;
        access.granted(grant);
        element.src = grant.playlistUrl;
        element.play().catch(() => {});
      } else {
        setError('This browser cannot play HLS video.');
      }
    })().catch((err) => !cancelled && setError(errorMessage(err)));

    return () => {
      cancelled = true;
      access.stop();
      hlsRef.current = null;
      if (stop) stop();
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
                poster={posterUrl(video) || undefined}
                aria-label={video.title}
              />
            ) : (
              <div className="player-waiting" role="status">
                <span className={`badge ${video.status}`}>{STATUS_LABELS[video.status]}</span>
                <p>{statusDetail(video, now)}</p>
                {video.status === 'processing' && (
                  <ProgressBar
                    value={video.progress}
                    label={showsProgress(video) ? 'Transcoding progress' : 'Retrying'}
                    indeterminate={!showsProgress(video)}
                    tone="info"
                  />
                )}
                {video.status === 'queued' && <ProgressBar label="Waiting in the queue" indeterminate tone="info" />}
              </div>
            )}
          </div>
          {video.status === 'processing' && canPlay(video) && (
            <div className="player-note" role="status">
              <span>
                {showsProgress(video)
                  ? `Still transcoding (${Math.round(video.progress || 0)}%): you are watching it as it is made.`
                  : 'Still transcoding (retrying): you are watching what is made so far.'}
              </span>
              <ProgressBar
                value={video.progress}
                label={showsProgress(video) ? 'Transcoding progress' : 'Retrying'}
                indeterminate={!showsProgress(video)}
                tone="info"
              />
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
