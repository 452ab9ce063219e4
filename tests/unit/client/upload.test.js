import { describe, expect, it } from 'vitest';
import {
  contentTypeOf,
  partRange,
  pendingUploads,
  presignedExpiry,
  titleFromFileName,
  uploadVideo,
} from '../../../apps/client/src/lib/upload.js';

class MemoryStorage {
  constructor() {
    this.map = new Map();
  }
  get length() {
    return this.map.size;
  }
  key(i) {
    return [...this.map.keys()][i] ?? null;
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

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const signed = (n) =>
  `https://s3.example/bucket/key?partNumber=${n}&uploadId=u1&X-Amz-Date=20260101T120000Z&X-Amz-Expires=3600&X-Amz-Signature=s`;

function makeFile(size, name = 'holiday_clip.mp4') {
  return new File([new Uint8Array(size).map((_, i) => i % 251)], name, { type: 'video/mp4', lastModified: 1 });
}

function fakeGallery(upload, { s3Parts = () => [], resumable = true } = {}) {
  const confirmed = [];
  let created = 0;
  return {
    confirmed,
    get created() {
      return created;
    },
    async resumeUpload(videoId) {
      if (!resumable) throw Object.assign(new Error('the video has no multipart upload in progress'), { status: 409 });
      return { ...upload, parts: upload.parts.map((p) => ({ ...p, url: `${p.url}&fresh=1` })), uploadedParts: s3Parts(videoId) };
    },
    async generateUploadUrl(body) {
      created += 1;
      return { videoId: 'v1', upload, request: body };
    },
    async confirmUpload(body) {
      confirmed.push(body);
      return { id: body.videoId, status: 'queued', title: body.title };
    },
  };
}

const multipart = (count, partSize) => ({
  method: 'MULTIPART',
  uploadId: 'u1',
  partSize,
  parts: Array.from({ length: count }, (_, i) => ({ partNumber: i + 1, url: signed(i + 1) })),
});

describe('upload helpers', () => {
  it('splits a file into byte ranges by part size', () => {
    expect(partRange(1, 10, 25)).toEqual([0, 10]);
    expect(partRange(3, 10, 25)).toEqual([20, 25]);
  });

  it('reads the expiry of a SigV4 presigned URL', () => {
    expect(presignedExpiry(signed(1))).toBe(NOW + 3600_000);
    expect(presignedExpiry('https://example/no-signature')).toBeNull();
  });

  it('guesses a content type from the extension when the browser gives none', () => {
    expect(contentTypeOf({ name: 'a.MKV', type: '' })).toBe('video/x-matroska');
    expect(contentTypeOf({ name: 'a.mp4', type: 'video/mp4' })).toBe('video/mp4');
    expect(titleFromFileName('my_holiday.final.mov')).toBe('my holiday.final');
  });
});

describe('uploadVideo', () => {
  it('uploads a small file with one PUT carrying the signed headers, then confirms it', async () => {
    const gallery = fakeGallery({ method: 'PUT', url: 'https://s3.example/put', headers: { 'Content-Type': 'video/mp4' } });
    const puts = [];
    const progress = [];
    const resumableFlags = new Set();
    const file = makeFile(1000);
    const video = await uploadVideo({
      api: gallery,
      file,
      title: 'Holiday',
      storage: new MemoryStorage(),
      onProgress: (p) => {
        progress.push(p.loaded);
        if (p.videoId) resumableFlags.add(p.resumable);
      },
      put: async (url, body, { headers, onProgress }) => {
        puts.push({ url, size: body.size, headers });
        onProgress(500);
        onProgress(1000);
        return { status: 200, etag: '"e"' };
      },
    });
    expect(puts).toEqual([{ url: 'https://s3.example/put', size: 1000, headers: { 'Content-Type': 'video/mp4' } }]);
    expect(gallery.confirmed).toEqual([{ videoId: 'v1', title: 'Holiday' }]);
    expect(video.status).toBe('queued');
    expect(progress.at(-1)).toBe(1000);
    expect(resumableFlags).toEqual(new Set([false]));
  });

  it('takes 412 on a retried single PUT as the file already stored by the try whose answer was lost', async () => {
    const headers = { 'Content-Type': 'video/mp4', 'Content-Length': '1000', 'If-None-Match': '*' };
    const gallery = fakeGallery({ method: 'PUT', url: 'https://s3.example/put', headers });
    const answers = [
      Object.assign(new Error('Upload interrupted: network error.'), { retryable: true }),
      Object.assign(new Error('Upload failed: storage answered HTTP 412.'), { status: 412 }),
    ];
    const sent = [];
    await uploadVideo({
      api: gallery,
      file: makeFile(1000),
      storage: new MemoryStorage(),
      retryDelayMs: 1,
      put: async (url, body, options) => {
        sent.push(options.headers);
        throw answers.shift();
      },
    });
    expect(sent).toEqual([headers, headers]);
    expect(gallery.confirmed).toEqual([{ videoId: 'v1' }]);
  });

  it('uploads every part of a large file and confirms with the ETags S3 returned, in order', async () => {
    const gallery = fakeGallery(multipart(3, 400));
    const file = makeFile(1000);
    const seen = [];
    const flags = new Set();
    await uploadVideo({
      api: gallery,
      file,
      title: 'Big',
      onProgress: (p) => flags.add(p.resumable),
      storage: new MemoryStorage(),
      now: () => NOW,
      put: async (url, body) => {
        const n = Number(new URL(url).searchParams.get('partNumber'));
        seen.push([n, body.size]);
        return { status: 200, etag: `"etag-${n}"` };
      },
    });
    expect(flags).toEqual(new Set([true]));
    expect(seen.sort()).toEqual([
      [1, 400],
      [2, 400],
      [3, 200],
    ]);
    expect(gallery.confirmed[0].parts).toEqual([
      { partNumber: 1, etag: '"etag-1"' },
      { partNumber: 2, etag: '"etag-2"' },
      { partNumber: 3, etag: '"etag-3"' },
    ]);
  });

  it('resumes after a failure: parts S3 already has are not sent again and no new upload is created', async () => {
    const inS3 = new Map();
    const gallery = fakeGallery(multipart(4, 250), {
      s3Parts: () => [...inS3].map(([partNumber, etag]) => ({ partNumber, etag, size: 250 })),
    });
    const storage = new MemoryStorage();
    const file = makeFile(1000);
    const failingPut = async (url) => {
      const n = Number(new URL(url).searchParams.get('partNumber'));
      if (n === 3) throw Object.assign(new Error('Upload failed: the upload link was refused.'), { retryable: false });
      inS3.set(n, `"e${n}"`);
      return { status: 200, etag: `"e${n}"` };
    };
    await expect(
      uploadVideo({ api: gallery, file, title: 'T', storage, now: () => NOW, put: failingPut }),
    ).rejects.toThrow('refused');
    expect(gallery.confirmed).toHaveLength(0);
    expect(pendingUploads(storage, NOW)).toHaveLength(1);
    const before = new Set(inS3.keys());
    expect(before.size).toBeGreaterThan(0);

    const resent = [];
    await uploadVideo({
      api: gallery,
      file,
      storage,
      now: () => NOW + 2 * 3600_000, // the first URLs have expired: fresh ones are used
      put: async (url) => {
        const n = Number(new URL(url).searchParams.get('partNumber'));
        expect(url).toContain('fresh=1');
        resent.push(n);
        return { status: 200, etag: `"e${n}"` };
      },
    });
    expect(gallery.created).toBe(1);
    expect(resent.filter((n) => before.has(n))).toEqual([]);
    expect(new Set([...before, ...resent])).toEqual(new Set([1, 2, 3, 4]));
    expect(gallery.confirmed[0]).toMatchObject({ videoId: 'v1', title: 'T' });
    expect(gallery.confirmed[0].parts.map((p) => p.etag)).toEqual(['"e1"', '"e2"', '"e3"', '"e4"']);
    expect(pendingUploads(storage, NOW)).toHaveLength(0);
  });

  it('starts a new upload when the saved one is gone on the server', async () => {
    const gallery = fakeGallery(multipart(2, 500), { resumable: false });
    const storage = new MemoryStorage();
    const file = makeFile(1000);
    const refuse = async () => {
      throw Object.assign(new Error('refused'), { retryable: false });
    };
    await expect(uploadVideo({ api: gallery, file, storage, now: () => NOW, put: refuse })).rejects.toThrow();
    await uploadVideo({ api: gallery, file, storage, now: () => NOW, put: async () => ({ status: 200, etag: '"e"' }) });
    expect(gallery.created).toBe(2);
    expect(gallery.confirmed).toHaveLength(1);
  });

  it('resumes a chosen video (from the gallery) and says so when it cannot', async () => {
    const gallery = fakeGallery(multipart(2, 500), { resumable: false });
    await expect(
      uploadVideo({ api: gallery, file: makeFile(1000), storage: new MemoryStorage(), resumeVideoId: 'v1' }),
    ).rejects.toThrow(/cannot be resumed/);
    expect(gallery.created).toBe(0);
  });

  it('retries a part after a transient network error', async () => {
    const gallery = fakeGallery(multipart(1, 1000));
    let attempts = 0;
    await uploadVideo({
      api: gallery,
      file: makeFile(1000),
      storage: new MemoryStorage(),
      now: () => NOW,
      retryDelayMs: 1,
      put: async () => {
        attempts += 1;
        if (attempts < 3) throw Object.assign(new Error('network'), { retryable: true });
        return { status: 200, etag: '"ok"' };
      },
    });
    expect(attempts).toBe(3);
    expect(gallery.confirmed[0].parts).toEqual([{ partNumber: 1, etag: '"ok"' }]);
  });

  it('fails clearly when the ETag header is not readable (CORS)', async () => {
    const gallery = fakeGallery(multipart(1, 1000));
    await expect(
      uploadVideo({
        api: gallery,
        file: makeFile(1000),
        storage: new MemoryStorage(),
        now: () => NOW,
        put: async () => ({ status: 200, etag: null }),
      }),
    ).rejects.toThrow(/ETag/);
    expect(gallery.confirmed).toHaveLength(0);
  });
});
