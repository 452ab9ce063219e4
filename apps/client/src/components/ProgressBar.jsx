export default function ProgressBar({ value, label, tone = 'accent', indeterminate = false }) {
  const percent = Math.max(0, Math.min(100, Math.round(value || 0)));
  return (
    <div
      className={`progress ${tone}${indeterminate ? ' indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={indeterminate ? undefined : percent}
    >
      <div className="progress-fill" style={indeterminate ? undefined : { width: `${percent}%` }} />
    </div>
  );
}
