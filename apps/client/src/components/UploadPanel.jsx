import { useEffect, useId, useRef, useState } from 'react';
import { formatBytes } from '../lib/format.js';
import { contentTypeOf, partRange, titleFromFileName } from '../lib/upload.js';
import ProgressBar from './ProgressBar.jsx';

const PHASES = {
  starting: 'Preparing…',
  uploading: 'Uploading',
  confirming: 'Finishing…',
  done: 'Uploaded',
  error: 'Failed',
  cancelled: 'Stopped',
};

function isVideo(file) {
  return contentTypeOf(file).startsWith('video/');
}

function UploadRow({ item, onCancel, onRetry, onDismiss }) {
  const percent = item.total ? (item.loaded / item.total) * 100 : 0;
  const running = ['starting', 'uploading', 'confirming'].includes(item.phase);
  return (
    <li className={`upload-row ${item.phase}`}>
      <div className="upload-row-head">
        <span className="upload-name" title={item.fileName}>
          {item.title}
        </span>
        <span className="upload-phase">
          {item.phase === 'cancelled' && item.resumable ? 'Paused' : PHASES[item.phase]}
          {item.phase === 'uploading' && ` ${Math.floor(percent)}%`}
        </span>
      </div>
      <ProgressBar
        value={item.phase === 'done' ? 100 : percent}
        label={`Upload of ${item.title}`}
        tone={item.phase === 'error' ? 'danger' : item.phase === 'done' ? 'success' : 'accent'}
        indeterminate={item.phase === 'starting'}
      />
      <div className="upload-row-foot">
        <span className="muted">
          {formatBytes(item.loaded)} of {formatBytes(item.total)}
          {item.resumed && ' · resumed'}
        </span>
        <span className="row-actions">
          {running && (
            <button type="button" className="button small ghost" onClick={() => onCancel(item.key)}>
              {item.phase === 'uploading' && item.resumable ? 'Pause' : 'Cancel'}
            </button>
          )}
          {(item.phase === 'error' || item.phase === 'cancelled') && (
            <>
              <button type="button" className="button small" onClick={() => onRetry(item.key)}>
                {item.phase === 'cancelled' && item.resumable ? 'Resume' : 'Retry'}
              </button>
              <button type="button" className="button small ghost" onClick={() => onDismiss(item.key)}>
                Dismiss
              </button>
            </>
          )}
        </span>
      </div>
      {item.error && (
        <p className="form-error" role="alert">
          {item.error}
        </p>
      )}
    </li>
  );
}

/** Pick or drop video files, name them, and follow their upload progress. */
export default function UploadPanel({ uploads }) {
  const inputRef = useRef(null);
  const titleId = useId();
  const [staged, setStaged] = useState(null); // {file, title}
  const [dragging, setDragging] = useState(false);
  const [problem, setProblem] = useState('');
  const wasStaged = useRef(false);

  // Keyboard users land back on the file picker after Upload or Cancel.
  useEffect(() => {
    if (!staged && wasStaged.current) inputRef.current?.focus();
    wasStaged.current = Boolean(staged);
  }, [staged]);

  const accept = (fileList) => {
    const files = Array.from(fileList || []);
    const videos = files.filter(isVideo);
    setProblem(files.length && !videos.length ? 'That does not look like a video file (MP4, MOV, WebM, MKV or AVI).' : '');
    if (videos.length === 1) {
      setStaged({ file: videos[0], title: titleFromFileName(videos[0].name) });
    } else {
      for (const file of videos) uploads.start(file, titleFromFileName(file.name));
      setStaged(null);
    }
  };

  const submit = (event) => {
    event.preventDefault();
    if (!staged) return;
    uploads.start(staged.file, staged.title.trim() || titleFromFileName(staged.file.name));
    setStaged(null);
    if (inputRef.current) inputRef.current.value = '';
  };

  const pendingHints = uploads.pending.filter(
    (p) => !uploads.items.some((item) => item.videoId === p.videoId && item.phase !== 'error'),
  );

  return (
    <section className="card upload-panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a video</h2>
      {!staged ? (
        <label
          className={`dropzone${dragging ? ' dragging' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            accept(e.dataTransfer.files);
          }}
        >
          <input
            ref={inputRef}
            type="file"
            className="visually-hidden"
            accept="video/*,.mkv,.mov,.avi"
            multiple
            onChange={(e) => accept(e.target.files)}
            aria-describedby="upload-hint"
          />
          <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M12 3l5 5h-3v6h-4V8H7l5-5zm-7 14h14v3H5v-3z" />
          </svg>
          <span className="dropzone-text">
            <strong>Choose a video</strong> or drag it here
          </span>
          <span id="upload-hint" className="hint">
            MP4, MOV, WebM, MKV or AVI, up to 10 GB. Large files upload in parts and can resume.
          </span>
        </label>
      ) : (
        <form className="staged" onSubmit={submit}>
          <p className="staged-file">
            <strong>{staged.file.name}</strong> <span className="muted">{formatBytes(staged.file.size)}</span>
          </p>
          <div className="field">
            <label htmlFor={titleId}>Title</label>
            <input
              id={titleId}
              name="title"
              value={staged.title}
              maxLength={200}
              onChange={(e) => setStaged({ ...staged, title: e.target.value })}
            />
          </div>
          <div className="row-actions">
            <button type="submit" className="button primary">
              Upload
            </button>
            <button type="button" className="button ghost" onClick={() => setStaged(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {pendingHints.length > 0 && (
        <div className="resume-hint" role="note">
          <strong>Unfinished uploads</strong>
          <ul>
            {pendingHints.map((p) => {
              const done = Object.keys(p.etags).reduce((sum, n) => {
                const [start, end] = partRange(Number(n), p.partSize, p.size);
                return sum + (end - start);
              }, 0);
              return (
                <li key={p.key}>
                  “{p.title || p.fileName}”: {Math.floor((done / p.size) * 100)}% sent. Choose{' '}
                  <em>{p.fileName}</em> again to resume.
                </li>
              );
            })}
          </ul>
        </div>
      )}
      {uploads.items.length > 0 && (
        <ul className="upload-list" aria-label="Uploads in progress">
          {uploads.items.map((item) => (
            <UploadRow
              key={item.key}
              item={item}
              onCancel={uploads.cancel}
              onRetry={uploads.retry}
              onDismiss={uploads.dismiss}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
