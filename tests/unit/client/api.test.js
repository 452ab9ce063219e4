import { describe, expect, it } from 'vitest';
import { ApiError, Session, errorMessage, renewalDelay } from '../../../apps/client/src/lib/api.js';

class MemoryStorage {
  constructor() {
    this.map = new Map();
  }
  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }
  setItem(key, value) {
    this.map.set(key, String(value));
  }
  removeItem(key) {
    this.map.delete(key);
  }
}

const json = (status, body) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

/** A scripted fetch: each call takes the next answer and is recorded. */
function scriptedFetch(answers) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init, body: init.body ? JSON.parse(init.body) : undefined });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${url}`);
    return typeof next === 'function' ? next(url, init) : next;
  };
  return { fetchImpl, calls };
}

const tokens = (access) => ({ accessToken: access, idToken: 'x.e30.y', refreshToken: 'refresh-1', expiresIn: 3600 });

describe('Session', () => {
  it('signs in, keeps no token in storage and sends the access token as a bearer', async () => {
    const storage = new MemoryStorage();
    storage.setItem('videoforge.refreshToken', 'left-by-an-older-version');
    const { fetchImpl, calls } = scriptedFetch([json(200, tokens('access-1')), json(200, { items: [], nextCursor: null })]);
    const session = new Session({ fetchImpl, storage });
    await session.signIn('a@example.com', 'pw');
    const stored = JSON.stringify([...storage.map.entries()]);
    for (const secret of ['refresh-1', 'access-1', 'left-by-an-older-version']) expect(stored).not.toContain(secret);
    expect(session.restorable).toBe(true);
    await session.listVideos({ limit: 5 });
    expect(calls[1].url).toBe('/api/gallery/videos?limit=5');
    expect(calls[1].init.headers.Authorization).toBe('Bearer access-1');
  });

  it('refreshes once on 401 and retries the request with the new token', async () => {
    const storage = new MemoryStorage();
    const { fetchImpl, calls } = scriptedFetch([
      json(200, tokens('old')),
      json(401, { code: 'unauthorized', message: 'expired' }),
      json(200, { accessToken: 'new', idToken: 'x.e30.y', expiresIn: 3600 }),
      json(200, { id: 'v1', title: 'T' }),
    ]);
    const session = new Session({ fetchImpl, storage });
    await session.signIn('a@example.com', 'pw');
    const video = await session.getVideo('v1');
    expect(video.id).toBe('v1');
    expect(calls[2].url).toBe('/api/gallery/auth/refresh');
    // The refresh token is the HttpOnly cookie the browser sends itself.
    expect(calls[2].body).toEqual({});
    expect(calls[2].init.credentials).toBe('same-origin');
    expect(calls[3].init.headers.Authorization).toBe('Bearer new');
  });

  it('does not loop: a second 401 after the refresh is the error the caller sees', async () => {
    const { fetchImpl, calls } = scriptedFetch([
      json(200, tokens('old')),
      json(401, { code: 'unauthorized', message: 'expired' }),
      json(200, { accessToken: 'new', expiresIn: 3600 }),
      json(401, { code: 'unauthorized', message: 'still no' }),
    ]);
    const session = new Session({ fetchImpl, storage: new MemoryStorage() });
    await session.signIn('a@example.com', 'pw');
    await expect(session.getVideo('v1')).rejects.toMatchObject({ status: 401, message: 'still no' });
    expect(calls).toHaveLength(4);
  });

  it('ends the session when the refresh token is rejected', async () => {
    const storage = new MemoryStorage();
    const { fetchImpl } = scriptedFetch([
      json(200, tokens('old')),
      json(401, { code: 'unauthorized', message: 'expired' }),
      json(400, { code: 'invalid_refresh_token', message: 'Refresh token is invalid' }),
    ]);
    const session = new Session({ fetchImpl, storage });
    await session.signIn('a@example.com', 'pw');
    await expect(session.getVideo('v1')).rejects.toMatchObject({ code: 'session_expired' });
    expect(session.signedIn).toBe(false);
    expect(session.restorable).toBe(false);
  });

  it('shares one refresh between concurrent requests', async () => {
    const storage = new MemoryStorage();
    storage.setItem('videoforge.signedIn', '1');
    let refreshes = 0;
    const fetchImpl = async (url) => {
      if (url.endsWith('/auth/refresh')) {
        refreshes += 1;
        return json(200, { accessToken: 'a', expiresIn: 3600 });
      }
      return json(200, { items: [] });
    };
    const session = new Session({ fetchImpl, storage });
    await Promise.all([session.listVideos(), session.listVideos(), session.listVideos()]);
    expect(refreshes).toBe(1);
  });

  it('signs out here and asks the server to clear the refresh cookie', async () => {
    const storage = new MemoryStorage();
    const { fetchImpl, calls } = scriptedFetch([json(200, tokens('a')), json(204)]);
    const session = new Session({ fetchImpl, storage });
    await session.signIn('a@example.com', 'pw');
    session.signOut();
    expect(session.signedIn).toBe(false);
    expect(session.restorable).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls[1].url).toBe('/api/gallery/auth/sign-out');
    expect(calls[1].init.method).toBe('POST');
  });

  it('turns the API error body into the message shown to the user', async () => {
    const { fetchImpl } = scriptedFetch([json(409, { code: 'user_exists', message: 'An account with this email already exists.' })]);
    const session = new Session({ fetchImpl, storage: new MemoryStorage() });
    const error = await session.signUp('a@example.com', 'pw').catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('user_exists');
    expect(error.message).toBe('An account with this email already exists.');
  });

  it('keeps the status line when an error is not JSON', async () => {
    const { fetchImpl } = scriptedFetch([new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' })]);
    const session = new Session({ fetchImpl, storage: new MemoryStorage() });
    await expect(session.signIn('a@example.com', 'pw')).rejects.toMatchObject({ status: 502, message: 'Bad Gateway' });
  });

  it('asks for a playback token for the player and never puts the access token in a URL', async () => {
    const { fetchImpl, calls } = scriptedFetch([
      json(200, tokens('old')),
      json(401, { code: 'unauthorized', message: 'expired' }),
      json(200, { accessToken: 'new', idToken: 'x.e30.y', expiresIn: 3600 }),
      json(201, { token: 'p'.repeat(43), expiresIn: 900, playlistUrl: `/api/stream/video/v1/playlist?playback=${'p'.repeat(43)}` }),
    ]);
    const session = new Session({ fetchImpl, storage: new MemoryStorage() });
    await session.signIn('a@example.com', 'pw');
    const grant = await session.playbackGrant({ id: 'v1' });
    const url = grant.playlistUrl;
    expect(url).toBe(`/api/stream/video/v1/playlist?playback=${'p'.repeat(43)}`);
    expect(grant.expiresIn).toBe(900);
    expect(url).not.toContain('new');
    expect(calls[1].url).toBe('/api/stream/video/v1/playback-token');
    expect(calls[1].init.method).toBe('POST');
    // The access token travels as a header only, and is renewed once when refused.
    expect(calls[3].init.headers.Authorization).toBe('Bearer new');
  });
});

describe('renewPlayback', () => {
  it('gets a fresh grant and fetches its master once (same origin), which renews the CDN cookies', async () => {
    const grantUrl = `/api/stream/video/v1/playlist?playback=${'q'.repeat(43)}`;
    const { fetchImpl, calls } = scriptedFetch([
      json(200, tokens('a')),
      json(201, { token: 'q'.repeat(43), expiresIn: 900, playlistUrl: grantUrl }),
      new Response('#EXTM3U\n', { status: 200 }),
    ]);
    const session = new Session({ fetchImpl, storage: new MemoryStorage() });
    await session.signIn('a@example.com', 'pw');
    expect(await session.renewPlayback({ id: 'v1' })).toBe(900);
    expect(calls[1].url).toBe('/api/stream/video/v1/playback-token');
    expect(calls[2].url).toBe(grantUrl);
    expect(calls[2].init.credentials).toBe('same-origin');
    expect(calls[2].init.headers).toBeUndefined(); // the cookie comes back; no token goes out
  });

  it('renews a minute before a grant ends, halfway through a short one', () => {
    expect(renewalDelay(900)).toBe(840_000);
    expect(renewalDelay(10)).toBe(5_000);
    expect(renewalDelay(0)).toBe(1_000);
  });
});

describe('errorMessage', () => {
  it('shows the API message, capitalised, with the invalid fields of a validation error', () => {
    expect(errorMessage(new ApiError(401, 'invalid_credentials', 'wrong email, password or token'))).toBe(
      'Wrong email, password or token',
    );
    const invalid = new ApiError(400, 'validation_error', 'the request is not valid', [
      { loc: ['email'], msg: "String should match pattern '^x$'", type: 'string_pattern_mismatch' },
      { loc: ['password'], msg: 'String should have at least 8 characters', type: 'string_too_short' },
    ]);
    expect(errorMessage(invalid)).toBe(
      'The request is not valid: email has an invalid format; password string should have at least 8 characters.',
    );
  });
});
