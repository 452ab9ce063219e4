// Uploads go straight from the browser to S3 with presigned URLs: one PUT for small
// files, presigned parts for large ones. A multipart upload is resumable: the upload id,
// the part URLs and each finished part's ETag are kept in localStorage, so after a
// failure, a cancel or a reload the same file picks up where it stopped (while the part
// URLs are still valid).

const STATE_PREFIX = 'videoforge.upload.';
const PART_CONCURRENCY = 3;
const PART_ATTEMPTS = 4;
const URL_VALIDITY_MARGIN_MS = 2 * 60_000;
const DEFAULT_URL_LIFETIME_MS = 50 * 60_000;
// The gallery aborts multipart uploads left unfinished for 7 days.
const KEEP_STATE_MS = 7 * 24 * 3600_000;

const CONTENT_TYPES = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
};

export class UploadError extends Error {
  constructor(message, { retryable = false } = {}) {
    super(message);
    this.name = 'UploadError';
    this.retryable = retryable;
  }
}

export function contentTypeOf(file) {
  if (file.type && file.type.startsWith('video/')) return file.type;
  const extension = (file.name.split('.').pop() || '').toLowerCase();
  return CONTENT_TYPES[extension] || file.type || 'application/octet-stream';
}

export function titleFromFileName(name) {
  const base = name.replace(/\.[^.]+$/, '').replace(/[_]+/g, ' ').trim();
  return base || name;
}

/** Identifies the same file picked again (there is no stable path in a browser). */
export function fileKey(file) {
  return `${STATE_PREFIX}${file.name}:${file.size}:${file.lastModified}`;
}

/** When a SigV4 presigned URL stops working (X-Amz-Date + X-Amz-Expires), else null. */
export function presignedExpiry(url) {
  try {
    const query = new URL(url, 'https://placeholder.invalid').searchParams;
    const date = query.get('X-Amz-Date');
    const seconds = Number(query.get('X-Amz-Expires'));
    const match = date && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!match || !seconds) return null;
    const [, y, mo, d, h, mi, s] = match.map(Number);
    return Date.UTC(y, mo - 1, d, h, mi, s) + seconds * 1000;
  } catch {
    return null;
  }
}

/** Byte range [start, end) of a 1-based part. */
export function partRange(partNumber, partSize, size) {
  const start = (partNumber - 1) * partSize;
  return [start, Math.min(start + partSize, size)];
}

/** Bytes already in S3 according to a saved state. */
export function doneBytesOf(state, size) {
  return Object.keys(state.etags).reduce((sum, n) => {
    const [start, end] = partRange(Number(n), state.partSize, size);
    return sum + (end - start);
  }, 0);
}

export function loadState(storage, file) {
  try {
    const state = JSON.parse(storage.getItem(fileKey(file)) || 'null');
    return state && state.version === 1 ? state : null;
  } catch {
    return null;
  }
}

export function saveState(storage, file, state) {
  try {
    storage.setItem(fileKey(file), JSON.stringify(state));
  } catch {
    // Storage full or disabled: the upload still works, it just cannot resume.
  }
}

export function clearState(storage, file) {
  storage.removeItem(fileKey(file));
}

/** Forgets a saved upload of a video (after the video is deleted). */
export function clearStateForVideo(storage, videoId) {
  for (const pending of pendingUploads(storage)) {
    if (pending.videoId === videoId) storage.removeItem(pending.key);
  }
}

/** The saved video id for this file, if an upload of it was started here before. */
export function savedVideoId(storage, file) {
  return loadState(storage, file)?.videoId || null;
}

/** Saved multipart uploads, for the "resume" hint (newest first); drops stale ones. */
export function pendingUploads(storage, now = Date.now()) {
  const found = [];
  const stale = [];
  for (let i = 0; i < storage.length; i += 1) {
    const key = storage.key(i);
    if (!key || !key.startsWith(STATE_PREFIX)) continue;
    try {
      const state = JSON.parse(storage.getItem(key));
      if (state.version === 1 && state.keepUntil > now) found.push({ key, ...state });
      else stale.push(key);
    } catch {
      stale.push(key);
    }
  }
  for (const key of stale) storage.removeItem(key);
  return found.sort((a, b) => b.startedAt - a.startedAt);
}

/** Whether saved part URLs can still be used as they are. */
export function urlsUsable(state, now = Date.now()) {
  return Boolean(state) && state.urlsExpireAt - URL_VALIDITY_MARGIN_MS > now;
}

function ticketState(ticket, { videoId, title, file, now }) {
  const expiries = ticket.parts.map((p) => presignedExpiry(p.url)).filter(Boolean);
  const urlsExpireAt = ticket.expiresIn
    ? now + ticket.expiresIn * 1000
    : expiries.length
      ? Math.min(...expiries)
      : now + DEFAULT_URL_LIFETIME_MS;
  const etags = {};
  // Parts S3 already holds (a resume): the server's list is the truth.
  for (const part of ticket.uploadedParts || []) etags[part.partNumber] = part.etag;
  return {
    version: 1,
    videoId,
    uploadId: ticket.uploadId,
    partSize: ticket.partSize,
    parts: ticket.parts,
    etags,
    title,
    fileName: file.name,
    size: file.size,
    startedAt: now,
    urlsExpireAt,
    keepUntil: now + KEEP_STATE_MS,
  };
}

/** The PUT transport: XMLHttpRequest, because fetch cannot report upload progress. */
export function xhrPut(url, body, { headers = {}, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) {
      // The browser sets these itself and refuses scripts that try.
      if (!/^(host|content-length)$/i.test(name)) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onProgress && onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, etag: xhr.getResponseHeader('ETag') });
      } else {
        const retryable = xhr.status >= 500 || xhr.status === 429;
        const reason =
          xhr.status === 403
            ? 'the upload link was refused or has expired'
            : `storage answered HTTP ${xhr.status}`;
        const error = new UploadError(`Upload failed: ${reason}.`, { retryable });
        error.status = xhr.status;
        reject(error);
      }
    };
    xhr.onerror = () => reject(new UploadError('Upload interrupted: network error.', { retryable: true }));
    xhr.ontimeout = () => reject(new UploadError('Upload timed out.', { retryable: true }));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    if (signal) {
      if (signal.aborted) {
        reject(new DOMException('Upload cancelled', 'AbortError'));
        return;
      }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(body);
  });
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DOMException('Upload cancelled', 'AbortError'));
      },
      { once: true },
    );
  });

async function withRetries(work, { attempts = PART_ATTEMPTS, signal, delayMs = 1000 }) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (error.name === 'AbortError' || !error.retryable || attempt >= attempts) throw error;
      await sleep(delayMs * 2 ** (attempt - 1), signal);
    }
  }
}

/**
 * Uploads one file and confirms it with the gallery; resolves to the confirmed Video.
 * `onProgress({loaded, total, videoId, phase})` reports bytes sent to S3.
 */
export async function uploadVideo({
  api,
  file,
  title,
  onProgress = () => {},
  signal,
  storage = globalThis.localStorage,
  put = xhrPut,
  now = () => Date.now(),
  resumeVideoId = null,
  retryDelayMs = 1000,
}) {
  const total = file.size;
  // `resumable`: a multipart upload survives a pause or failure; a single PUT starts over.
  let resumable = true;
  const report = (loaded, videoId, phase) =>
    onProgress({ loaded: Math.min(loaded, total), total, videoId, phase, resumable });

  let state = null;
  const saved = loadState(storage, file);
  const resumeId = resumeVideoId || saved?.videoId;
  if (resumeId) {
    // Ask the gallery for fresh part URLs and the parts S3 already has.
    try {
      const ticket = await api.resumeUpload(resumeId, signal);
      state = ticketState(ticket, { videoId: resumeId, title: title || saved?.title, file, now: now() });
      saveState(storage, file, state);
      report(doneBytesOf(state, file.size), resumeId, 'uploading');
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      const gone = error.status === 404 || error.status === 409;
      if (gone) clearState(storage, file);
      if (resumeVideoId) {
        throw gone
          ? new UploadError('This upload cannot be resumed. Delete it and upload the file again.')
          : error;
      }
      // An older gallery without the resume call: the saved URLs may still do.
      if (!gone && urlsUsable(saved, now())) state = saved;
      else if (!gone) throw error;
    }
  }
  if (!state) {
    const created = await api.generateUploadUrl(
      { fileName: file.name, contentType: contentTypeOf(file), size: file.size, ...(title ? { title } : {}) },
      signal,
    );
    const { videoId, upload } = created;
    resumable = upload.method === 'MULTIPART';
    report(0, videoId, 'uploading');
    if (!resumable) {
      await withRetries(
        () =>
          put(upload.url, file, {
            headers: upload.headers || {},
            onProgress: (loaded) => report(loaded, videoId, 'uploading'),
            signal,
          }).catch((error) => {
            // The URL creates the source once (If-None-Match: *): 412 means an earlier try whose
            // answer was lost already stored it. Confirm checks what is there.
            if (error.status === 412) return { status: 412, etag: null };
            throw error;
          }),
        { signal, delayMs: retryDelayMs },
      );
      report(total, videoId, 'confirming');
      return api.confirmUpload({ videoId, ...(title ? { title } : {}) }, signal);
    }
    state = ticketState(upload, { videoId, title, file, now: now() });
    saveState(storage, file, state);
  }
  const finalTitle = title || state.title;

  // Multipart: bytes of finished parts plus what is in flight.
  const inFlight = new Map();
  const progress = () => {
    let loaded = doneBytesOf(state, file.size);
    for (const bytes of inFlight.values()) loaded += bytes;
    report(loaded, state.videoId, 'uploading');
  };
  progress();

  const queue = state.parts.filter((p) => !state.etags[p.partNumber]);
  let stopped = false;
  const worker = async () => {
    while (queue.length && !stopped) {
      if (signal?.aborted) throw new DOMException('Upload cancelled', 'AbortError');
      const part = queue.shift();
      const [start, end] = partRange(part.partNumber, state.partSize, file.size);
      const result = await withRetries(
        () => {
          inFlight.set(part.partNumber, 0);
          return put(part.url, file.slice(start, end), {
            onProgress: (loaded) => {
              inFlight.set(part.partNumber, loaded);
              progress();
            },
            signal,
          });
        },
        { signal, delayMs: retryDelayMs },
      )
        .catch((error) => {
          stopped = true;
          if (error.status === 404) {
            // The multipart upload no longer exists (discarded or completed elsewhere).
            clearState(storage, file);
            throw new UploadError('This upload was discarded on the server. Pick the file again to restart.');
          }
          throw error;
        })
        .finally(() => inFlight.delete(part.partNumber));
      if (!result.etag) {
        stopped = true;
        throw new UploadError(
          'Storage did not expose the ETag header for an uploaded part (S3 CORS must expose ETag).',
        );
      }
      state.etags[part.partNumber] = result.etag;
      saveState(storage, file, state);
      progress();
    }
  };
  const workers = Array.from({ length: Math.min(PART_CONCURRENCY, queue.length) }, worker);
  // Let every worker settle so a failure leaves no request still writing state.
  const results = await Promise.allSettled(workers);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;

  report(total, state.videoId, 'confirming');
  const parts = state.parts.map((p) => ({ partNumber: p.partNumber, etag: state.etags[p.partNumber] }));
  const video = await api.confirmUpload(
    { videoId: state.videoId, ...(finalTitle ? { title: finalTitle } : {}), parts },
    signal,
  );
  clearState(storage, file);
  return video;
}
