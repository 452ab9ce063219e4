import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../lib/api.js';
import { clearStateForVideo, pendingUploads, savedVideoId, uploadVideo } from '../lib/upload.js';

let nextKey = 1;

/** The uploads of this tab: start, cancel, retry (resumes multipart), dismiss. */
export function useUploads({ session, notify, onConfirmed }) {
  const [items, setItems] = useState([]);
  const [pending, setPending] = useState(() => pendingUploads(localStorage));
  const controllers = useRef(new Map());
  const files = useRef(new Map());
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const update = useCallback((key, changes) => {
    if (!mounted.current) return;
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...changes } : item)));
  }, []);

  const run = useCallback(
    async (key) => {
      const { file, title, resumeVideoId } = files.current.get(key);
      const controller = new AbortController();
      controllers.current.set(key, controller);
      update(key, { phase: 'starting', error: '' });
      let announced = Boolean(resumeVideoId);
      try {
        const video = await uploadVideo({
          api: session,
          file,
          title,
          signal: controller.signal,
          resumeVideoId,
          onProgress: ({ loaded, total, videoId, phase, resumable }) => {
            files.current.get(key).videoId = videoId;
            files.current.get(key).resumable = resumable;
            update(key, { loaded, total, videoId, phase, resumable });
            if (!announced && videoId) {
              // The gallery shows the new video (status uploading) right away.
              announced = true;
              onConfirmed(null);
            }
          },
        });
        update(key, { phase: 'done', videoId: video?.id, loaded: file.size });
        notify(`“${title}” uploaded. Transcoding will start shortly.`, 'success');
        onConfirmed(video);
        setTimeout(() => {
          if (mounted.current) setItems((list) => list.filter((item) => item.key !== key));
          files.current.delete(key);
        }, 4000);
      } catch (error) {
        const cancelled = error.name === 'AbortError';
        update(key, { phase: cancelled ? 'cancelled' : 'error', error: cancelled ? '' : errorMessage(error) });
        if (!cancelled) notify(`Upload of “${title}” failed: ${errorMessage(error)}`, 'error');
        onConfirmed(null); // the gallery shows the (still uploading) video row
      } finally {
        controllers.current.delete(key);
        if (mounted.current) setPending(pendingUploads(localStorage));
      }
    },
    [session, notify, onConfirmed, update],
  );

  const start = useCallback(
    (file, title, { resumeVideoId = null } = {}) => {
      const key = nextKey++;
      files.current.set(key, { file, title, resumeVideoId });
      const resumed = Boolean(resumeVideoId || savedVideoId(localStorage, file));
      setItems((list) => [
        ...list,
        {
          key,
          title,
          fileName: file.name,
          size: file.size,
          loaded: 0,
          total: file.size,
          phase: 'starting',
          resumed,
          error: '',
          videoId: resumeVideoId,
        },
      ]);
      run(key);
    },
    [run],
  );

  // A single-PUT upload cannot resume: its unfinished video is discarded before a new try
  // (or when the person gives up) so no dead "uploading" row stays in the gallery.
  const discardUnfinished = useCallback(
    async (key) => {
      const entry = files.current.get(key);
      if (!entry || entry.resumable !== false || !entry.videoId) return;
      const videoId = entry.videoId;
      entry.videoId = null;
      try {
        await session.deleteVideo(videoId);
      } catch {
        // Already gone, or the gallery is unreachable: the person can still delete it by hand.
      }
      onConfirmed(null);
    },
    [session, onConfirmed],
  );
  const cancel = useCallback((key) => controllers.current.get(key)?.abort(), []);
  const retry = useCallback(
    async (key) => {
      await discardUnfinished(key);
      run(key);
    },
    [run, discardUnfinished],
  );
  const dismiss = useCallback(
    (key) => {
      discardUnfinished(key).finally(() => files.current.delete(key));
      setItems((list) => list.filter((item) => item.key !== key));
    },
    [discardUnfinished],
  );
  const cancelAll = useCallback(() => {
    for (const controller of controllers.current.values()) controller.abort();
  }, []);
  const forgetVideo = useCallback((videoId) => {
    clearStateForVideo(localStorage, videoId);
    setPending(pendingUploads(localStorage));
  }, []);

  return { items, pending, start, cancel, retry, dismiss, cancelAll, forgetVideo };
}
