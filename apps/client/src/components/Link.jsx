import { onLinkClick } from '../lib/router.js';

export default function Link({ href, children, ...rest }) {
  return (
    <a href={href} onClick={onLinkClick} {...rest}>
      {children}
    </a>
  );
}
