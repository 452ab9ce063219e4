import { useRef, useState } from 'react';
import { canPlay, posterUrl } from '../lib/api.js';
import { watchPath } from '../lib/router.js';
import {
  STATUS_LABELS,
  formatBytes,
  formatClock,
  formatDate,
  formatDuration,
  meaningfulEta,
  showsProgress,
  statusDetail,
} from '../lib/format.js';
import Link from './Link.jsx';
import ProgressBar from './ProgressBar.jsx';

function Poster({ video }) {
  const [broken, setBroken] = useState(false);
  const ready = video.status === 'ready';
  const src = posterUrl(video);
  return (
    <div className={`poster ${video.status}`}>
      {src && !broken ? (
        <img src={src} alt="" loading="lazy" onError={() => setBroken(true)} />
      ) : (
        <svg className="poster-icon" viewBox="0 0 24 24" aria-hidden="true">
          {video.status === 'failed' ? (
            <path d="M12 2 1 21h22L12 2zm1 15h-2v-2h2v2zm0-4h-2V9h2v4z" />
          ) : (
            <path d="M4 5h16v14H4V5zm6 3.5v7l6-3.5-6-3.5z" />
          )}
        </svg>
      )}
      {ready && video.durationSeconds != null && (
        <span className="poster-duration">{formatDuration(video.durationSeconds)}</span>
      )}
      {canPlay(video) && (
        <span className="poster-play" aria-hidden="true">
          <svg viewBox="0 0 24 24">
            <path d="M8 5v14l11-7z" />
          </svg>
        </span>
      )}
    </div>
  );
}

/** One video: poster, status with progress / queue / ETA / error, and its actions. */
export default function VideoCard({ video, now, upload, onRetry, onDelete, onEdit, onResume }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const fileRef = useRef(null);
  const status = video.status;
  const playable = canPlay(video);
  const watchHref = watchPath(video.id);
  // An upload started elsewhere (another tab, before a reload) that nobody is sending now.
  const stalled = status === 'uploading' && (!upload || ['error', 'cancelled'].includes(upload.phase));
  const titleId = `video-${video.id}-title`;

  const run = async (work) => {
    setBusy(true);
    try {
      await work();
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  let progress = null;
  if (status === 'uploading' && upload && upload.total) {
    progress = { value: (upload.loaded / upload.total) * 100, label: 'Upload progress' };
  } else if (status === 'processing' && !showsProgress(video)) {
    progress = { value: 0, label: 'Retrying', indeterminate: true };
  } else if (status === 'processing') {
    progress = { value: video.progress || 0, label: 'Transcoding progress' };
  } else if (status === 'queued') {
    progress = { value: 0, label: 'Waiting in the queue', indeterminate: true };
  }

  let detail = statusDetail(video, now);
  if (stalled) {
    detail = `Upload not finished. Choose ${video.fileName} again to resume it.`;
  } else if (status === 'uploading' && upload) {
    detail = `Uploading ${Math.floor((upload.loaded / upload.total) * 100)}% of ${formatBytes(upload.total)}`;
  }
  const readyAt = meaningfulEta(video, now);

  return (
    <li className={`video-card status-${status}`} aria-labelledby={titleId} data-video-id={video.id}>
      {playable ? (
        <Link href={watchHref} className="poster-link" aria-label={`Play ${video.title}`} tabIndex={-1}>
          <Poster video={video} />
        </Link>
      ) : (
        <Poster video={video} />
      )}
      <div className="video-body">
        <div className="video-head">
          <h3 id={titleId} className="video-title" title={video.title}>
            {playable ? <Link href={watchHref}>{video.title}</Link> : video.title}
          </h3>
          <span className={`badge ${status}`} data-status={status}>
            {STATUS_LABELS[status] || status}
          </span>
        </div>
        {progress && (
          <ProgressBar
            value={progress.value}
            label={progress.label}
            indeterminate={progress.indeterminate}
            tone={status === 'uploading' ? 'accent' : 'info'}
          />
        )}
        <p className={status === 'failed' ? 'video-detail error-text' : 'video-detail'}>
          {detail}
        </p>
        {readyAt && <p className="video-eta muted">Estimated ready at {formatClock(readyAt)}</p>}
        <p className="video-meta muted">
          {formatDate(video.createdAt)}
          {video.size ? ` · ${formatBytes(video.size)}` : ''}
          {status !== 'ready' && video.visibility === 'public' ? ' · Public' : ''}
        </p>
        <div className="video-actions">
          {confirming ? (
            <>
              <span className="confirm-text">Delete this video?</span>
              <button
                type="button"
                className="button small danger"
                disabled={busy}
                onClick={() => run(() => onDelete(video))}
              >
                Delete
              </button>
              <button type="button" className="button small ghost" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <>
              {playable && (
                <Link className="button small primary" href={watchHref}>
                  {status === 'ready' ? 'Watch' : 'Watch now'}
                </Link>
              )}
              {stalled && (
                <>
                  <button type="button" className="button small" onClick={() => fileRef.current?.click()}>
                    Resume upload
                  </button>
                  <input
                    ref={fileRef}
                    type="file"
                    className="visually-hidden"
                    tabIndex={-1}
                    aria-label={`Choose ${video.fileName} to resume its upload`}
                    onChange={(e) => {
                      const file = e.target.files?.[0];
                      e.target.value = '';
                      if (file) onResume(video, file);
                    }}
                  />
                </>
              )}
              {status === 'failed' && (
                <button type="button" className="button small" disabled={busy} onClick={() => run(() => onRetry(video))}>
                  Retry
                </button>
              )}
              <button type="button" className="button small ghost" onClick={() => onEdit(video)}>
                Edit
              </button>
              <button
                type="button"
                className="button small ghost danger-text"
                onClick={() => setConfirming(true)}
                aria-label={`Delete ${video.title}`}
              >
                Delete
              </button>
            </>
          )}
        </div>
      </div>
    </li>
  );
}
