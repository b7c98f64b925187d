import type { Conversation, Message, User } from './types';

/** A random id for clientMsgId. crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newClientId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function displayName(u: Pick<User, 'displayName' | 'username'> | undefined | null): string {
  if (!u) return 'Unknown';
  return u.displayName?.trim() || u.username;
}

export function firstName(u: Pick<User, 'displayName' | 'username'> | undefined | null): string {
  return displayName(u).split(/\s+/)[0];
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  if (parts.length === 1) return Array.from(parts[0]).slice(0, 2).join('').toUpperCase();
  return (Array.from(parts[0])[0] + Array.from(parts[parts.length - 1])[0]).toUpperCase();
}

const HUES = [0, 18, 145, 165, 185, 200, 215, 230, 250, 265, 280, 300, 320, 340];
export function hueFor(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return HUES[h % HUES.length];
}

export function conversationTitle(c: Conversation, meId: string | undefined): string {
  if (c.type === 'group') {
    if (c.title?.trim()) return c.title;
    const others = c.members.filter((m) => m.id !== meId);
    return others.map(firstName).join(', ') || 'Empty group';
  }
  const other = c.members.find((m) => m.id !== meId);
  return other ? displayName(other) : c.title || 'Just you';
}

export function otherMember(c: Conversation, meId: string | undefined) {
  return c.type === 'direct' ? c.members.find((m) => m.id !== meId) : undefined;
}

export function activityTime(c: Conversation): number {
  const t = c.lastMessage?.createdAt ?? c.createdAt;
  const n = t ? Date.parse(t) : 0;
  return Number.isFinite(n) ? n : 0;
}

export function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => activityTime(b) - activityTime(a) || (b.id > a.id ? 1 : -1));
}

/** Numbers stay numbers even if a server sends them as strings. */
export function normMessage(m: Message): Message {
  if (typeof m.seq === 'number' && (m.changeSeq === undefined || typeof m.changeSeq === 'number')) return m;
  return { ...m, seq: Number(m.seq), ...(m.changeSeq !== undefined ? { changeSeq: Number(m.changeSeq) } : {}) };
}

/** Does the text mention `username` (docs/features.md: not preceded by a letter, digit, _ or .)? */
export function mentionRanges(text: string, usernames: string[]): [number, number][] {
  if (usernames.length === 0) return [];
  const names = new Set(usernames.map((u) => u.toLowerCase()));
  const out: [number, number][] = [];
  const re = /@([\p{L}\p{N}_.\-]+)/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const before = m.index > 0 ? text[m.index - 1] : '';
    if (before && /[\p{L}\p{N}_.]/u.test(before)) continue;
    // The longest member name that the word starts with (a name may be followed by punctuation).
    let word = m[1];
    while (word && !names.has(word.toLowerCase())) word = word.slice(0, -1);
    if (word) out.push([m.index, m.index + 1 + word.length]);
  }
  return out;
}

/**
 * The search snippet (HTML from the server: escaped text with <mark>) as safe pieces: the text is
 * parsed by the browser into an inert document and only text nodes and <mark> are kept.
 */
export function snippetParts(html: string): { text: string; mark: boolean }[] {
  if (typeof DOMParser === 'undefined') return [{ text: html.replace(/<[^>]*>/g, ''), mark: false }];
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const out: { text: string; mark: boolean }[] = [];
  const walk = (n: Node, mark: boolean) => {
    n.childNodes.forEach((c) => {
      if (c.nodeType === 3) out.push({ text: c.textContent ?? '', mark });
      else if (c.nodeType === 1) walk(c, mark || (c as Element).tagName === 'MARK');
    });
  };
  walk(doc.body, false);
  return out;
}

/** The seq that ends the unbroken run starting at items[0] (0 when empty). */
export function contiguousEnd(items: Message[]): number {
  if (items.length === 0) return 0;
  for (let i = 1; i < items.length; i++) if (items[i].seq !== items[i - 1].seq + 1) return items[i - 1].seq;
  return items[items.length - 1].seq;
}

/** Merge pages/events into an ascending, seq-unique list. A tombstone never comes back to life. */
export function mergeMessages(items: Message[], incomingRaw: Message[]): Message[] {
  if (incomingRaw.length === 0) return items;
  const incoming = incomingRaw.map(normMessage);
  const last = items[items.length - 1];
  if (incoming.length === 1 && (!last || incoming[0].seq > last.seq)) return [...items, incoming[0]];
  const bySeq = new Map<number, Message>();
  for (const m of items) bySeq.set(m.seq, m);
  for (const m of incoming) {
    const old = bySeq.get(m.seq);
    // "The message is now at least this": an older copy (lower changeSeq) arriving late is ignored.
    if (old && (old.changeSeq ?? 0) > (m.changeSeq ?? 0) && !(m.deletedAt && !old.deletedAt)) continue;
    if (!old || m.deletedAt || !old.deletedAt) bySeq.set(m.seq, old && !m.deletedAt ? keepSettledPreviews(old, m) : m);
  }
  return Array.from(bySeq.values()).sort((a, b) => a.seq - b.seq);
}

/**
 * A page fetched before a `message_updated` may arrive after it: never let an attachment go back from
 * a finished preview (ready/failed) to pending.
 */
function keepSettledPreviews(old: Message, m: Message): Message {
  if (!old.attachments?.length || !m.attachments?.length) return m;
  let changed = false;
  const attachments = m.attachments.map((a) => {
    const was = old.attachments!.find((x) => x.id === a.id);
    if (a.preview === 'pending' && was && (was.preview === 'ready' || was.preview === 'failed')) {
      changed = true;
      return was;
    }
    return a;
  });
  return changed ? { ...m, attachments } : m;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function clockTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

function sameDay(a: Date, b: Date) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Short time for the conversation list: 14:05, Yesterday, Mon, 4 Mar, 4/3/2023. */
export function listTime(iso: string | undefined | null, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return clockTime(iso);
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  const days = (now.getTime() - d.getTime()) / 86400000;
  if (days < 6) return d.toLocaleDateString(undefined, { weekday: 'short' });
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return 'Today';
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'Yesterday';
  return d.toLocaleDateString(undefined, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric',
  });
}

export function dayKey(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function lastSeenText(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'Offline';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'Offline';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return 'Last seen just now';
  const m = Math.round(s / 60);
  if (m < 60) return `Last seen ${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `Last seen ${h} h ago`;
  return `Last seen ${new Date(t).toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;
}

export function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
