// next/link for the offline preview: an <a> whose href is the hash route, navigating client-side.
import { cloneElement, forwardRef, isValidElement } from "react";
import { formatUrl, hrefFor, isExternal, navigate } from "./router.js";

const Link = forwardRef(function Link(
  { href, as, replace, scroll, prefetch, legacyBehavior, passHref, shallow, locale, onNavigate, onClick, children, ...rest },
  ref,
) {
  const url = formatUrl(as ?? href);
  const external = isExternal(url);
  const onClickLink = (event) => {
    if (onClick) onClick(event);
    if (event.defaultPrevented || external || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || rest.target === "_blank") return;
    event.preventDefault();
    navigate(url, { replace, scroll: scroll !== false });
  };
  const props = { href: hrefFor(url), onClick: onClickLink, ref };
  if (external && !rest.rel) props.rel = "noopener noreferrer";
  if (legacyBehavior && isValidElement(children)) return cloneElement(children, props);
  return (
    <a {...rest} {...props}>
      {children}
    </a>
  );
});

export default Link;
export function useLinkStatus() {
  return { pending: false };
}
