// Small display helpers (pure, unit-tested).

export function formatBytes(bytes) {
  if (bytes == null || Number.isNaN(bytes)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "in about 3 min" / "in a few seconds" / "any moment now". */
export function formatEta(isoTime, now = Date.now()) {
  if (!isoTime) return '';
  const at = Date.parse(isoTime);
  if (Number.isNaN(at)) return '';
  const seconds = Math.round((at - now) / 1000);
  if (seconds <= 5) return 'any moment now';
  if (seconds < 60) return 'in a few seconds';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `in about ${hours} h ${minutes % 60} min`;
}

export function formatClock(isoTime) {
  const at = Date.parse(isoTime);
  if (Number.isNaN(at)) return '';
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatDate(isoTime) {
  const at = Date.parse(isoTime);
  if (Number.isNaN(at)) return '';
  return new Date(at).toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
}

export function ordinal(n) {
  const rem100 = n % 100;
  if (rem100 >= 11 && rem100 <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th'}`;
}

export const ACTIVE_STATUSES = new Set(['uploading', 'queued', 'processing']);

export const STATUS_LABELS = {
  uploading: 'Uploading',
  queued: 'Queued',
  processing: 'Processing',
  ready: 'Ready',
  failed: 'Failed',
};

/**
 * The estimated ready time, only while it means something: the gallery sends none before it
 * has measured anything, and one already past (the job is slower than expected) or one for a
 * job being retried says nothing either.
 */
export function meaningfulEta(video, now = Date.now()) {
  if (!video.estimatedReadyAt || video.retrying) return null;
  const at = Date.parse(video.estimatedReadyAt);
  return Number.isNaN(at) || at < now ? null : video.estimatedReadyAt;
}

/** Whether the page should show the job's percentage (not while it is being retried). */
export function showsProgress(video) {
  return video.status === 'processing' && !video.retrying;
}

/** One line describing where a video is in its lifecycle. */
export function statusDetail(video, now = Date.now()) {
  const eta = meaningfulEta(video, now);
  const readyBy = eta ? `ready ${formatEta(eta, now)}` : '';
  const attempt = video.attempt > 1 ? ` (attempt ${video.attempt})` : '';
  switch (video.status) {
    case 'uploading':
      return 'Waiting for the upload to finish';
    case 'queued': {
      const position = video.queuePosition ? `${ordinal(video.queuePosition)} in the queue` : 'In the queue';
      const retry = video.retrying ? 'Retrying after a failed attempt' : '';
      return [retry, position, readyBy].filter(Boolean).join(' · ');
    }
    case 'processing':
      if (video.retrying) return 'Retrying: the worker stopped, another one is taking the job over';
      return [`Transcoding ${Math.round(video.progress || 0)}%${attempt}`, readyBy].filter(Boolean).join(' · ');
    case 'ready':
      return [
        formatDuration(video.durationSeconds),
        video.height ? `${video.height}p` : '',
        video.visibility === 'public' ? 'Public' : 'Private',
      ]
        .filter(Boolean)
        .join(' · ');
    case 'failed':
      return video.error || 'Processing failed';
    default:
      return '';
  }
}

/** Whether the gallery should keep polling for this video. */
export function isActive(video, now = Date.now()) {
  if (!ACTIVE_STATUSES.has(video.status)) return false;
  if (video.status !== 'uploading') return true;
  // An upload nobody finished (tab closed) should not keep the page polling forever.
  const updated = Date.parse(video.updatedAt || video.createdAt);
  return Number.isNaN(updated) || now - updated < 2 * 3600_000;
}
