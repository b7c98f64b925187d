/** Hash routes: #/c/<conversationId> opens a conversation; no hash shows the list. */
export function parseHash(): string | null {
  const m = /^#\/c\/([^/?#]+)/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

export function openConversation(id: string | null) {
  if (id) window.location.hash = `/c/${encodeURIComponent(id)}`;
  else if (window.location.hash) window.location.hash = '';
}
