import { useId, useState } from 'react';
import { errorMessage } from '../lib/api.js';

function Field({ label, hint, ...input }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** Sign in, create an account, and confirm it with the emailed code when required. */
export default function AuthView({ session, notify }) {
  const [mode, setMode] = useState('signIn'); // signIn | signUp | confirm
  const [email, setEmail] = useState(session.email || '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');

  const switchTo = (next) => {
    setMode(next);
    setError('');
    setInfo('');
  };

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      if (mode === 'signIn') {
        await session.signIn(email.trim(), password);
        notify('Welcome back!', 'success');
      } else if (mode === 'signUp') {
        const result = await session.signUp(email.trim(), password);
        setPassword('');
        if (result && result.userConfirmed === false) {
          switchTo('confirm');
          setInfo(`We sent a confirmation code to ${email.trim()}.`);
        } else {
          switchTo('signIn');
          setInfo('Account created. Sign in to continue.');
        }
      } else {
        await session.confirm(email.trim(), code.trim());
        switchTo('signIn');
        setInfo('Account confirmed. Sign in to continue.');
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const titles = { signIn: 'Sign in', signUp: 'Create your account', confirm: 'Confirm your account' };
  const actions = { signIn: 'Sign in', signUp: 'Create account', confirm: 'Confirm' };

  return (
    <section className="auth" aria-labelledby="auth-title">
      <div className="auth-intro">
        <h1>Your videos, ready to stream anywhere.</h1>
        <p>Upload a file and VideoForge transcodes it into adaptive HLS renditions from 360p to 1080p.</p>
      </div>
      <form className="card auth-card" onSubmit={submit} noValidate={false}>
        {mode !== 'confirm' && (
          <div className="tabs" role="tablist" aria-label="Account">
            <button
              type="button"
              role="tab"
              aria-selected={mode === 'signIn'}
              className={mode === 'signIn' ? 'tab active' : 'tab'}
              onClick={() => switchTo('signIn')}
            >
              Sign in
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={mode === 'signUp'}
              className={mode === 'signUp' ? 'tab active' : 'tab'}
              onClick={() => switchTo('signUp')}
            >
              Sign up
            </button>
          </div>
        )}
        <h2 id="auth-title">{titles[mode]}</h2>
        {info && (
          <p className="form-info" role="status">
            {info}
          </p>
        )}
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        {mode === 'confirm' ? (
          <Field
            label="Confirmation code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        ) : (
          <Field
            label="Password"
            type="password"
            name="password"
            autoComplete={mode === 'signUp' ? 'new-password' : 'current-password'}
            required
            minLength={mode === 'signUp' ? 8 : undefined}
            hint={
              mode === 'signUp'
                ? 'At least 8 characters, with upper and lower case letters, a number and a symbol.'
                : undefined
            }
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button primary wide" disabled={busy}>
          {busy ? 'Please wait…' : actions[mode]}
        </button>
        {mode === 'confirm' && (
          <button type="button" className="button link" onClick={() => switchTo('signIn')}>
            Back to sign in
          </button>
        )}
      </form>
    </section>
  );
}
