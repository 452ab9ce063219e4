import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatEta,
  isActive,
  meaningfulEta,
  ordinal,
  showsProgress,
  statusDetail,
} from '../../../apps/client/src/lib/format.js';
import { appendPage, mergeFirstPage } from '../../../apps/client/src/lib/gallery.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms) => new Date(ms).toISOString();

describe('format', () => {
  it('formats sizes, durations and ordinals', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(250 * 1024 * 1024)).toBe('250 MB');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22].map(ordinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd',
    ]);
  });

  it('describes an estimated ready time relative to now', () => {
    expect(formatEta(iso(NOW + 3 * 60_000), NOW)).toBe('in about 3 min');
    expect(formatEta(iso(NOW + 30_000), NOW)).toBe('in a few seconds');
    expect(formatEta(iso(NOW - 10_000), NOW)).toBe('any moment now');
  });

  it('says where a video is: queue position and ETA, progress, failure reason', () => {
    const eta = iso(NOW + 4 * 60_000);
    expect(statusDetail({ status: 'queued', queuePosition: 2, estimatedReadyAt: eta }, NOW)).toBe(
      '2nd in the queue · ready in about 4 min',
    );
    expect(statusDetail({ status: 'processing', progress: 42, estimatedReadyAt: eta }, NOW)).toBe(
      'Transcoding 42% · ready in about 4 min',
    );
    expect(statusDetail({ status: 'failed', error: 'No video stream in the file' }, NOW)).toBe(
      'No video stream in the file',
    );
  });

  it('shows an estimate only while it means something', () => {
    const soon = iso(NOW + 40_000);
    expect(meaningfulEta({ status: 'processing', estimatedReadyAt: soon }, NOW)).toBe(soon);
    // None measured yet, one already past (a slower job), or a job being retried: nothing.
    expect(meaningfulEta({ status: 'processing', estimatedReadyAt: null }, NOW)).toBeNull();
    expect(meaningfulEta({ status: 'processing', estimatedReadyAt: iso(NOW - 1000) }, NOW)).toBeNull();
    expect(meaningfulEta({ status: 'processing', estimatedReadyAt: soon, retrying: true }, NOW)).toBeNull();
    expect(statusDetail({ status: 'processing', progress: 18, estimatedReadyAt: iso(NOW - 1000) }, NOW)).toBe(
      'Transcoding 18%',
    );
  });

  it('says "retrying" instead of a frozen percentage', () => {
    const lost = { status: 'processing', progress: 25, retrying: true, attempt: 1 };
    expect(showsProgress(lost)).toBe(false);
    expect(statusDetail(lost, NOW)).toBe('Retrying: the worker stopped, another one is taking the job over');
    expect(statusDetail({ status: 'processing', progress: 3, attempt: 2 }, NOW)).toBe('Transcoding 3% (attempt 2)');
    expect(statusDetail({ status: 'queued', queuePosition: 1, retrying: true, attempt: 1 }, NOW)).toBe(
      'Retrying after a failed attempt · 1st in the queue',
    );
  });

  it('keeps polling for moving videos but not for long-abandoned uploads', () => {
    expect(isActive({ status: 'processing' }, NOW)).toBe(true);
    expect(isActive({ status: 'ready' }, NOW)).toBe(false);
    expect(isActive({ status: 'uploading', updatedAt: iso(NOW - 60_000) }, NOW)).toBe(true);
    expect(isActive({ status: 'uploading', updatedAt: iso(NOW - 3 * 3600_000) }, NOW)).toBe(false);
  });
});

describe('gallery merge', () => {
  const v = (id, minutesAgo, extra = {}) => ({ id, createdAt: iso(NOW - minutesAgo * 60_000), ...extra });

  it('replaces the whole list when the first page is all there is', () => {
    const shown = [v('a', 1, { status: 'queued' }), v('b', 2)];
    const page = { items: [v('c', 0), v('a', 1, { status: 'processing' })], nextCursor: null };
    expect(mergeFirstPage(shown, page).map((x) => [x.id, x.status])).toEqual([
      ['c', undefined],
      ['a', 'processing'],
    ]);
  });

  it('keeps older pages loaded with "load more" and drops deleted ones in the window', () => {
    const shown = [v('a', 1), v('gone', 2), v('b', 3), v('old', 10)];
    const page = { items: [v('a', 1), v('b', 3)], nextCursor: 'c1' };
    expect(mergeFirstPage(shown, page).map((x) => x.id)).toEqual(['a', 'b', 'old']);
    expect(appendPage([v('a', 1)], { items: [v('a', 1), v('z', 20)] }).map((x) => x.id)).toEqual(['a', 'z']);
  });
});
