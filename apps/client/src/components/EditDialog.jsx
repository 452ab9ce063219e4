import { useEffect, useId, useRef, useState } from 'react';
import { errorMessage } from '../lib/api.js';

/** A modal (native <dialog>: focus trap and Escape for free) to edit title, description, visibility. */
export default function EditDialog({ video, onSave, onClose }) {
  const dialogRef = useRef(null);
  const id = useId();
  const [title, setTitle] = useState(video.title || '');
  const [description, setDescription] = useState(video.description || '');
  const [visibility, setVisibility] = useState(video.visibility || 'private');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.open && dialog.close();
  }, []);

  const submit = async (event) => {
    event.preventDefault();
    if (!title.trim()) {
      setError('The title cannot be empty.');
      return;
    }
    const changes = {};
    if (title.trim() !== video.title) changes.title = title.trim();
    if (description !== (video.description || '')) changes.description = description;
    if (visibility !== video.visibility) changes.visibility = visibility;
    if (!Object.keys(changes).length) {
      onClose();
      return;
    }
    setBusy(true);
    setError('');
    try {
      await onSave(changes);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialogRef} className="dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        <h2 id={`${id}-title`}>Edit video</h2>
        <div className="field">
          <label htmlFor={`${id}-name`}>Title</label>
          <input
            id={`${id}-name`}
            value={title}
            maxLength={200}
            required
            onChange={(e) => setTitle(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-description`}>Description</label>
          <textarea
            id={`${id}-description`}
            rows={3}
            maxLength={5000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <fieldset className="field">
          <legend>Visibility</legend>
          <label className="radio">
            <input
              type="radio"
              name={`${id}-visibility`}
              value="private"
              checked={visibility === 'private'}
              onChange={() => setVisibility('private')}
            />
            Private <span className="muted">only you can watch it</span>
          </label>
          <label className="radio">
            <input
              type="radio"
              name={`${id}-visibility`}
              value="public"
              checked={visibility === 'public'}
              onChange={() => setVisibility('public')}
            />
            Public <span className="muted">anyone with the link can watch it</span>
          </label>
        </fieldset>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="row-actions end">
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
