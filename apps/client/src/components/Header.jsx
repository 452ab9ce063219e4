import Link from './Link.jsx';

export default function Header({ email, onSignOut }) {
  return (
    <header className="header">
      <Link className="brand" href="/" aria-label="VideoForge home">
        <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="8" />
          <path d="M12 9.5v13l10.5-6.5z" />
        </svg>
        <span>VideoForge</span>
      </Link>
      {email && (
        <div className="account">
          <span className="account-email" title={email}>
            {email}
          </span>
          <button type="button" className="button ghost" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      )}
    </header>
  );
}
