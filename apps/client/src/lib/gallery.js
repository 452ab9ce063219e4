// Merging a freshly polled first page into the list already shown (pure, unit-tested).

/** Whether `a` sorts after `b` in the API's order (newest first; id breaks ties). */
function sortsAfter(a, b) {
  const byDate = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (byDate) return byDate < 0;
  return a.id < b.id;
}

/**
 * `page` is the API's {items, nextCursor} for the first page. Items on it replace the
 * shown ones; shown items older than the page's last item (loaded with "Load more") stay;
 * shown items within the page's window that the page no longer has were deleted.
 */
export function mergeFirstPage(shown, page) {
  const fresh = page.items || [];
  if (!page.nextCursor || fresh.length === 0) return fresh;
  const ids = new Set(fresh.map((v) => v.id));
  const last = fresh[fresh.length - 1];
  const older = shown.filter((v) => !ids.has(v.id) && sortsAfter(v, last));
  return [...fresh, ...older];
}

/** Appends a further page, skipping anything already shown. */
export function appendPage(shown, page) {
  const ids = new Set(shown.map((v) => v.id));
  return [...shown, ...(page.items || []).filter((v) => !ids.has(v.id))];
}

export function replaceVideo(shown, video) {
  return shown.map((v) => (v.id === video.id ? { ...v, ...video } : v));
}
