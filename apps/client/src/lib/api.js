// The gallery API client and the signed-in session.
//
// Tokens: the access token lives only in memory; the refresh token never reaches script at
// all: sign-in sets it as an HttpOnly cookie sent only to the auth routes, so a reload (or a
// new tab) restores the session by asking /auth/refresh, and an injected script finds no
// token to carry away. Storage keeps only the email and whether to try restoring.
// Every request carries `Authorization: Bearer <accessToken>`; a 401 triggers one
// refresh and one retry, never more.

// Where the services' APIs live behind the edge: the model's prefixes, defined at build time
// (vite.config.js).
/* global __VF_API_PREFIXES__ */
export const GALLERY = __VF_API_PREFIXES__.gallery;
export const STREAMING = __VF_API_PREFIXES__.streaming;

const SIGNED_IN_KEY = 'videoforge.signedIn';
const EMAIL_KEY = 'videoforge.email';
// Where earlier versions kept the refresh token: removed on sight.
const LEGACY_REFRESH_KEY = 'videoforge.refreshToken';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const capitalise = (text) => (text ? text[0].toUpperCase() + text.slice(1) : text);

function fieldProblem(detail) {
  const field = Array.isArray(detail.loc) ? detail.loc.filter((p) => p !== 'body').join('.') : '';
  const text = detail.type === 'string_pattern_mismatch' ? 'has an invalid format' : detail.msg || 'is not valid';
  return field ? `${field} ${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;
}

/** A human sentence for any error thrown by the API client or the uploader. */
export function errorMessage(error) {
  if (!error) return '';
  if (error instanceof ApiError) {
    let text = capitalise(error.message) || `Request failed (${error.code || error.status})`;
    if (Array.isArray(error.details) && error.details.length) {
      text = `${text.replace(/\.$/, '')}: ${error.details.map(fieldProblem).join('; ')}.`;
    }
    return text;
  }
  if (error.name === 'AbortError') return 'Cancelled.';
  return error.message || String(error);
}

async function parseError(response) {
  let code = `http_${response.status}`;
  let message = response.statusText || `Request failed with HTTP ${response.status}`;
  let details;
  try {
    const body = await response.json();
    if (body && typeof body === 'object') {
      code = body.code || code;
      message = body.message || message;
      details = body.details;
    }
  } catch {
    // Not JSON (an edge or proxy error page): keep the status line.
  }
  return new ApiError(response.status, code, message, details);
}

/** Decodes a JWT payload without verifying it (display only: the server verifies). */
export function jwtClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = part + '='.repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

export class Session {
  constructor({ fetchImpl, storage, now } = {}) {
    this.fetch = fetchImpl || ((...args) => globalThis.fetch(...args));
    this.storage = storage || globalThis.localStorage;
    this.now = now || (() => Date.now());
    this.accessToken = null;
    this.expiresAt = 0;
    this.email = this.storage.getItem(EMAIL_KEY) || '';
    this.refreshing = null;
    this.listeners = new Set();
    this.storage.removeItem(LEGACY_REFRESH_KEY);
  }

  /** Whether a session may be restored: signed in and not signed out since (no token here). */
  get restorable() {
    return this.storage.getItem(SIGNED_IN_KEY) === '1';
  }

  get signedIn() {
    return Boolean(this.accessToken);
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit() {
    for (const listener of this.listeners) listener(this);
  }

  async raw(method, path, { body, token, signal } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await this.fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: 'same-origin',
      });
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      throw new ApiError(0, 'network_error', 'Cannot reach VideoForge. Check your connection and try again.');
    }
    if (!response.ok) throw await parseError(response);
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  setTokens({ accessToken, idToken, expiresIn }, email) {
    this.accessToken = accessToken;
    this.expiresAt = this.now() + (Number(expiresIn) || 3600) * 1000;
    this.storage.setItem(SIGNED_IN_KEY, '1');
    const claimed = idToken ? jwtClaims(idToken).email : undefined;
    this.email = claimed || email || this.email;
    if (this.email) this.storage.setItem(EMAIL_KEY, this.email);
    this.emit();
  }

  signUp(email, password) {
    return this.raw('POST', `${GALLERY}/auth/sign-up`, { body: { email, password } });
  }

  confirm(email, code) {
    return this.raw('POST', `${GALLERY}/auth/confirm`, { body: { email, code } });
  }

  async signIn(email, password) {
    const tokens = await this.raw('POST', `${GALLERY}/auth/sign-in`, { body: { email, password } });
    this.setTokens(tokens, email);
    return tokens;
  }

  /** Forgets the session here and asks the server to clear the refresh cookie. */
  signOut() {
    this.endSession();
    this.raw('POST', `${GALLERY}/auth/sign-out`).catch(() => {});
  }

  endSession() {
    this.accessToken = null;
    this.expiresAt = 0;
    this.storage.removeItem(SIGNED_IN_KEY);
    this.emit();
  }

  /** One refresh at a time: concurrent 401s share the same refresh call. */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        if (!this.restorable) throw new ApiError(401, 'unauthorized', 'Please sign in.');
        try {
          // The refresh token is the cookie the browser sends (same origin, auth path only).
          const tokens = await this.raw('POST', `${GALLERY}/auth/refresh`, { body: {} });
          this.setTokens(tokens);
          return this.accessToken;
        } catch (error) {
          // A rejected refresh token ends the session; a network error does not.
          if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
            this.endSession();
            throw new ApiError(401, 'session_expired', 'Your session has expired. Please sign in again.');
          }
          throw error;
        }
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** Restores a session from the refresh cookie (on page load). */
  async restore() {
    if (!this.restorable) return false;
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  /** An authenticated call; on 401 refreshes once and retries once. */
  async authorized(method, url, options = {}) {
    const token = this.accessToken || (await this.refresh());
    try {
      return await this.raw(method, url, { ...options, token });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      const renewed = await this.refresh();
      return this.raw(method, url, { ...options, token: renewed });
    }
  }

  /** An authenticated gallery call. */
  request(method, path, options = {}) {
    return this.authorized(method, `${GALLERY}${path}`, options);
  }

  /**
   * A grant to play one video: the master playlist URL with a fresh short-lived playback token
   * in it (players cannot send headers, and the access token never goes into a URL) and its
   * life in seconds (`expiresIn`).
   */
  playbackGrant(video, signal) {
    const path = `${STREAMING}/video/${encodeURIComponent(video.id)}/playback-token`;
    return this.authorized('POST', path, { signal });
  }

  /**
   * Renews a playing video's access without touching the player: a fresh grant, and its master
   * playlist fetched once, whose answer (same origin) sets fresh CDN cookies for the video's
   * segments. Returns the new grant's life in seconds.
   */
  async renewPlayback(video, signal) {
    const grant = await this.playbackGrant(video, signal);
    const response = await this.fetch(grant.playlistUrl, { credentials: 'same-origin', cache: 'no-store', signal });
    if (!response.ok) throw await parseError(response);
    return grant.expiresIn;
  }

  listVideos({ limit = 24, cursor } = {}, signal) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    return this.request('GET', `/videos?${query}`, { signal });
  }

  getVideo(id, signal) {
    return this.request('GET', `/videos/${encodeURIComponent(id)}`, { signal });
  }

  updateVideo(id, changes) {
    return this.request('PATCH', `/videos/${encodeURIComponent(id)}`, { body: changes });
  }

  deleteVideo(id) {
    return this.request('DELETE', `/videos/${encodeURIComponent(id)}`);
  }

  retryVideo(id) {
    return this.request('POST', `/videos/${encodeURIComponent(id)}/retry`);
  }

  generateUploadUrl(file, signal) {
    return this.request('POST', '/generate-upload-url', { body: file, signal });
  }

  /** Fresh part URLs and the parts S3 already holds, for an interrupted multipart upload. */
  resumeUpload(id, signal) {
    return this.request('POST', `/videos/${encodeURIComponent(id)}/upload-parts`, { signal });
  }

  confirmUpload(body, signal) {
    return this.request('POST', '/confirm-upload', { body, signal });
  }
}

/**
 * Milliseconds after a grant of `expiresIn` seconds at which to renew it: a minute before it
 * ends, or halfway through a short one.
 */
export function renewalDelay(expiresIn) {
  const seconds = Number(expiresIn) || 0;
  return Math.max(1, seconds > 120 ? seconds - 60 : seconds / 2) * 1000;
}

/** The poster (a presigned URL), once the processor made one (the gallery answers null until then). */
export function posterUrl(video) {
  return video.posterUrl || null;
}

/** Ready, or still transcoding with a growing playlist already published (watch as it is made). */
export function canPlay(video) {
  return video.status === 'ready' || (video.status === 'processing' && Boolean(video.playlistUrl));
}
