import { io, type Socket } from 'socket.io-client';
import { Api, ApiError } from './api';
import { openConversation } from './nav';
import { Store } from './store';
import type {
  ConnectionState,
  ConvMessages,
  Conversation,
  Member,
  Message,
  PendingMessage,
  Presence,
  Reaction,
  Upload,
  User,
} from './types';
import { isImageType, uploadFile, type UploadHandle } from './upload';
import { contiguousEnd, conversationTitle, mergeMessages, newClientId, normMessage } from './util';

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export interface ChatState {
  me: User;
  conversations: Record<string, Conversation>;
  listLoaded: boolean;
  listError: string | null;
  listCursor: string | number | null;
  listLoadingMore: boolean;
  messages: Record<string, ConvMessages>;
  /** conversationId → userId → expiry (ms since epoch) */
  typing: Record<string, Record<string, number>>;
  presence: Record<string, Presence>;
  /** Every user seen as a member, so that a former member's old messages still show a name. */
  users: Record<string, User>;
  connection: ConnectionState;
  everConnected: boolean;
  /** Set for a moment after a reconnect's catch-up, for a "back online" note. */
  caughtUpAt: number;
  activeId: string | null;
  toasts: Toast[];
  /** conversationId → files being uploaded or uploaded and waiting in the composer. */
  uploads: Record<string, Upload[]>;
  /** For `?access=` on media URLs (docs/media.md); null until the first one arrives. */
  mediaToken: string | null;
  /** attachmentId → blob: URL of our own image, shown until the server's thumbnail is ready. */
  localImages: Record<string, string>;
  /** conversationId → the message the composer replies to. */
  replyTo: Record<string, Message | undefined>;
  /** conversationId → our message being edited in the composer. */
  editing: Record<string, Message | undefined>;
  /** A message to scroll to and flash (a reply's parent, a search hit); `at` makes each jump new. */
  highlight: { conversationId: string; seq: number; at: number } | null;
  /** Browser notifications: the permission as last seen ('unsupported' without the API). */
  notifyPermission: 'default' | 'granted' | 'denied' | 'unsupported';
}

/** The emoji offered by the reaction picker (any other is accepted from the server). */
export const QUICK_EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🎉', '🙏', '👀'];

const EMPTY_CM: ConvMessages = { items: [], pending: [], loaded: false, hasOlder: false, loadingOlder: false };
const PAGE = 50;
const CATCHUP_PAGE = 100;
const TYPING_SEND_EVERY = 3000;
const TYPING_IDLE = 2500;
const TYPING_EXPIRE = 6000;
/** At most this many files per message (docs/media.md). */
export const MAX_ATTACHMENTS = 10;

/** The socket could not deliver (disconnected or no ack in time); the server may or may not have it. */
class TransportError extends Error {}

function hasMore(cursor: unknown, got: number, fallback: boolean): boolean {
  if (got === 0) return false;
  if (cursor === undefined) return fallback;
  return cursor !== null && cursor !== '';
}

export class ChatClient {
  readonly store: Store<ChatState>;
  readonly api: Api;
  private socket: Socket | null = null;
  private disposed = false;
  private inFlight = new Set<string>();
  private readRequested: Record<string, number> = {};
  private presenceAsked = new Set<string>();
  private loadingConv = new Set<string>();
  private refetchConv = new Set<string>();
  private catchingUp = new Set<string>();
  private catchUpAgain = new Set<string>();
  private holeTried: Record<string, number> = {};
  private retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private typingState: { convId: string; sentAt: number; timer: ReturnType<typeof setTimeout> | null } | null = null;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private toastSeq = 0;
  private joined: string | null = null;
  private xhrs = new Map<string, UploadHandle>();
  /** The files of uploads not finished yet, for a retry (dropped once uploaded or removed). */
  private files = new Map<string, File>();
  private mediaTimer: ReturnType<typeof setTimeout> | null = null;
  private mediaFetchedAt = 0;
  private mediaFetching: Promise<void> | null = null;
  /** conversationId → the highest changeSeq applied (tracked for conversations whose messages we hold). */
  private changeSeen: Record<string, number> = {};
  /** conversationId → changedAfter to fetch soon (an event skipped a changeSeq). */
  private gapFrom: Record<string, number> = {};
  private gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private changesRunning = new Set<string>();
  private changesAgain = new Set<string>();
  /** conversationId → the highest changeSeq of an event that came while its messages were loading. */
  private changeWhileLoading: Record<string, number> = {};
  private jumping = 0;

  constructor(
    token: string,
    me: User,
    private onUnauthorized: () => void,
  ) {
    this.api = new Api(token);
    this.api.onUnauthorized = () => this.onUnauthorized();
    this.store = new Store<ChatState>({
      me,
      conversations: {},
      listLoaded: false,
      listError: null,
      listCursor: null,
      listLoadingMore: false,
      messages: {},
      typing: {},
      presence: {},
      users: { [me.id]: me },
      connection: 'idle',
      everConnected: false,
      caughtUpAt: 0,
      activeId: null,
      toasts: [],
      uploads: {},
      mediaToken: null,
      localImages: {},
      replyTo: {},
      editing: {},
      highlight: null,
      notifyPermission:
        typeof Notification === 'undefined' ? 'unsupported' : (Notification.permission as ChatState['notifyPermission']),
    });
  }

  get me() {
    return this.store.get().me;
  }

  // ───────────────────────── lifecycle ─────────────────────────

  start() {
    this.loadConversations();
    this.connect();
    void this.refreshMediaToken();
    this.sweeper = setInterval(() => this.sweepTyping(), 1000);
    document.addEventListener('visibilitychange', this.onVisibility);
    // Refresh "me" in the background (display name may have changed; a dead token logs out via 401).
    this.api
      .me()
      .then((r) => r?.user && this.store.set((s) => ({ me: { ...s.me, ...r.user } })))
      .catch(() => {});
  }

  dispose() {
    this.disposed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const t of this.retryTimers.values()) clearTimeout(t);
    for (const t of this.gapTimers.values()) clearTimeout(t);
    if (this.typingState?.timer) clearTimeout(this.typingState.timer);
    if (this.mediaTimer) clearTimeout(this.mediaTimer);
    for (const x of this.xhrs.values()) x.abort();
    for (const list of Object.values(this.store.get().uploads))
      for (const u of list) if (u.localUrl) URL.revokeObjectURL(u.localUrl);
    for (const url of Object.values(this.store.get().localImages)) URL.revokeObjectURL(url);
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }

  private connect() {
    this.store.set({ connection: 'connecting' });
    const s = io({
      path: '/socket.io/',
      auth: { token: this.api.token },
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      timeout: 8000,
    });
    this.socket = s;
    s.on('connect', () => this.onConnect());
    s.on('disconnect', (reason) => {
      if (this.disposed) return;
      this.joined = null;
      this.store.set({ connection: 'disconnected' });
      // The server closed us on purpose (e.g. restart or shutdown): socket.io won't retry by itself.
      if (reason === 'io server disconnect') setTimeout(() => !this.disposed && s.connect(), 1000);
    });
    s.on('connect_error', (err: Error) => {
      if (this.disposed) return;
      this.store.set({ connection: 'disconnected' });
      if (!s.active) {
        // Refused by the server (not a network failure): maybe the token is no longer valid.
        this.api
          .me()
          .then(() => setTimeout(() => !this.disposed && s.connect(), 2000))
          .catch((e: unknown) => {
            if (e instanceof ApiError && e.status === 401) return; // onUnauthorized already ran
            setTimeout(() => !this.disposed && s.connect(), 2000);
          });
      }
      void err;
    });
    s.on('new_message', (m: Message) => this.onNewMessage(m));
    s.on('message_deleted', (m: Message) => this.onMessageDeleted(m));
    s.on('message_updated', (m: Message) => this.onMessageUpdated(m));
    s.on('reaction_updated', (e: { conversationId: string; messageId: string; changeSeq: number; reactions: Reaction[] }) =>
      this.onReactionUpdated(e),
    );
    s.on('conversation_updated', (c: Conversation) => this.onConversationUpdated(c));
    s.on('typing', (e: { conversationId: string; userId: string }) => this.onTyping(e, true));
    s.on('stop_typing', (e: { conversationId: string; userId: string }) => this.onTyping(e, false));
    s.on('message_read', (e: { conversationId: string; userId: string; seq: number }) => this.onRead(e));
    s.on('user_status', (p: Presence) => this.onPresence(p));
  }

  private async onConnect() {
    const wasConnected = this.store.get().everConnected;
    this.store.set({ connection: 'connected', everConnected: true });
    const active = this.store.get().activeId;
    if (active) this.join(active);
    // Anything typed while offline goes out now; clientMsgId makes a repeat harmless.
    for (const cm of Object.values(this.store.get().messages))
      for (const p of cm.pending) if (p.status === 'sending') void this.deliver(p);
    // Catch up on what happened while the socket was away.
    const jobs: Promise<unknown>[] = [this.refreshConversations()];
    if (!this.store.get().mediaToken) void this.refreshMediaToken();
    if (active) jobs.push(this.catchUp(active));
    // Edits, reactions and deletions in the other conversations we hold (docs/features.md).
    for (const id of Object.keys(this.changeSeen)) if (id !== active) jobs.push(this.catchUpChanges(id));
    if (wasConnected) {
      this.presenceAsked.clear();
      await Promise.allSettled(jobs);
      if (!this.disposed) this.store.set({ caughtUpAt: Date.now() });
    }
  }

  private onVisibility = () => {
    const id = this.store.get().activeId;
    if (id && document.visibilityState === 'visible') this.markRead(id);
  };

  private emitAck<T>(event: string, payload: unknown, timeoutMs = 10000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const s = this.socket;
      if (!s || !s.connected) return reject(new TransportError('disconnected'));
      s.timeout(timeoutMs).emit(event, payload, (err: Error | null, res: unknown) => {
        if (err) return reject(new TransportError(err.message || 'timeout'));
        const r = res as { ok?: boolean; data?: T; error?: { code?: string; message?: string; retryAfterMs?: number } };
        if (r && r.ok === true) return resolve(r.data as T);
        if (r && r.ok === false)
          return reject(
            new ApiError(400, r.error?.code ?? 'error', r.error?.message ?? 'Request refused', r.error?.retryAfterMs),
          );
        resolve(res as T);
      });
    });
  }

  toast(text: string, kind: Toast['kind'] = 'info') {
    const id = ++this.toastSeq;
    this.store.set((s) => ({ toasts: [...s.toasts, { id, text, kind }].slice(-3) }));
    setTimeout(() => this.dismissToast(id), kind === 'error' ? 6000 : 4000);
  }

  dismissToast(id: number) {
    this.store.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  }

  // ───────────────────────── conversations ─────────────────────────

  private normalize(c: Conversation, prev?: Conversation): Conversation {
    const meId = this.me.id;
    const members: Member[] = (c.members ?? prev?.members ?? []).map((m) => {
      const old = prev?.members.find((x) => x.id === m.id);
      return {
        ...m,
        role: m.role ?? old?.role ?? 'member',
        lastReadSeq: Math.max(Number(m.lastReadSeq ?? 0), old?.lastReadSeq ?? 0),
      };
    });
    const mine = members.find((m) => m.id === meId);
    let lastMessage = c.lastMessage !== undefined ? (c.lastMessage && normMessage(c.lastMessage)) : (prev?.lastMessage ?? null);
    let lastSeq = Math.max(Number(c.lastSeq ?? lastMessage?.seq ?? 0), lastMessage?.seq ?? 0);
    let unreadCount = Number(c.unreadCount ?? prev?.unreadCount ?? 0);
    let lastReadSeq = Math.max(Number(c.lastReadSeq ?? 0), mine?.lastReadSeq ?? 0, prev?.lastReadSeq ?? 0);
    // A live event may be newer than the REST answer that raced it: keep the newer view.
    if (prev && prev.lastSeq > lastSeq) {
      lastSeq = prev.lastSeq;
      lastMessage = prev.lastMessage;
      unreadCount = prev.unreadCount;
    } else if (prev && prev.lastMessage && lastMessage && prev.lastMessage.seq === lastMessage.seq && prev.lastMessage.deletedAt) {
      lastMessage = prev.lastMessage;
    }
    let mentionCount = Number(c.mentionCount ?? prev?.mentionCount ?? 0);
    if (prev && prev.lastSeq > Number(c.lastSeq ?? 0)) mentionCount = Math.max(mentionCount, prev.mentionCount ?? 0);
    if (lastReadSeq >= lastSeq) {
      unreadCount = 0;
      mentionCount = 0;
    }
    if (mine) mine.lastReadSeq = Math.max(mine.lastReadSeq, lastReadSeq);
    return {
      ...prev,
      ...c,
      title: c.title ?? null,
      members,
      lastMessage,
      lastSeq,
      lastReadSeq,
      unreadCount,
      mentionCount,
      muted: c.muted ?? prev?.muted ?? false,
    };
  }

  private upsert(list: Conversation[]) {
    if (list.length === 0) return;
    this.store.set((s) => {
      const conversations = { ...s.conversations };
      const users = { ...s.users };
      for (const c of list) {
        conversations[c.id] = this.normalize(c, conversations[c.id]);
        for (const m of c.members ?? []) users[m.id] = { ...users[m.id], ...m };
      }
      return { conversations, users };
    });
  }

  private removeConversation(id: string, note?: string) {
    this.store.set((s) => {
      const conversations = { ...s.conversations };
      delete conversations[id];
      return { conversations };
    });
    if (this.store.get().activeId === id) {
      if (note) this.toast(note);
      openConversation(null);
    }
  }

  private onConversationUpdated(c: Conversation) {
    if (!c || !c.id) return;
    const known = this.store.get().conversations[c.id];
    if (c.members && !c.members.some((m) => m.id === this.me.id)) {
      if (known) this.removeConversation(c.id, `You are no longer in ${conversationTitle(known, this.me.id)}`);
      return;
    }
    if (!known) {
      // New to us (created with us in it, or we were added): fetch our own view (unread count etc.).
      void this.fetchConversation(c.id);
      return;
    }
    // The broadcast is the same for every member: keep our own per-user fields.
    const { lastReadSeq: _r, unreadCount: _u, mentionCount: _m, muted: _mu, ...shared } = c;
    void _r;
    void _u;
    void _m;
    void _mu;
    this.upsert([shared as Conversation]);
    this.fetchPresenceFor([c]);
  }

  async loadConversations() {
    try {
      const r = await this.api.listConversations(null, PAGE);
      this.upsert(r.conversations ?? []);
      this.store.set({
        listLoaded: true,
        listError: null,
        listCursor: hasMore(r.nextCursor, r.conversations?.length ?? 0, false) ? r.nextCursor : null,
      });
      this.fetchPresenceFor(r.conversations ?? []);
    } catch (e) {
      this.store.set({ listError: e instanceof Error ? e.message : 'Could not load conversations' });
    }
  }

  /** After a reconnect: the first page again, merged over what we know. */
  private async refreshConversations() {
    const knownBefore = new Set(Object.keys(this.store.get().conversations));
    try {
      const r = await this.api.listConversations(null, PAGE);
      const fresh = r.conversations ?? [];
      this.upsert(fresh);
      const s = this.store.get();
      if (!s.listLoaded || s.listCursor === null)
        this.store.set({
          listLoaded: true,
          listError: null,
          listCursor: hasMore(r.nextCursor, fresh.length, false) ? r.nextCursor : null,
        });
      // Conversations we no longer belong to disappear when the whole list fit on one page.
      if (!hasMore(r.nextCursor, fresh.length, false)) {
        const keep = new Set(fresh.map((c) => c.id));
        for (const id of Object.keys(this.store.get().conversations))
          if (!keep.has(id) && knownBefore.has(id)) this.removeConversation(id, 'You are no longer in that conversation');
      }
      this.fetchPresenceFor(fresh);
    } catch {
      /* the banner already says we are offline; the next connect retries */
    }
  }

  async loadMoreConversations() {
    const s = this.store.get();
    if (s.listLoadingMore || s.listCursor === null) return;
    this.store.set({ listLoadingMore: true });
    try {
      const r = await this.api.listConversations(String(s.listCursor), PAGE);
      this.upsert(r.conversations ?? []);
      this.store.set({
        listCursor: hasMore(r.nextCursor, r.conversations?.length ?? 0, false) ? r.nextCursor : null,
      });
      this.fetchPresenceFor(r.conversations ?? []);
    } catch {
      /* try again on the next scroll */
    } finally {
      this.store.set({ listLoadingMore: false });
    }
  }

  private async fetchConversation(id: string) {
    if (this.loadingConv.has(id)) {
      // Something happened while a fetch was under way: fetch again when it ends.
      this.refetchConv.add(id);
      return;
    }
    this.loadingConv.add(id);
    try {
      const r = await this.api.getConversation(id);
      this.upsert([r.conversation]);
      this.fetchPresenceFor([r.conversation]);
      const cm = this.store.get().messages[id];
      if (cm?.loaded) this.setMessages(id, { items: mergeMessages(cm.items, r.messages ?? []) });
      if (this.store.get().activeId === id) this.markRead(id);
    } catch {
      /* not ours (any more) */
    } finally {
      this.loadingConv.delete(id);
      if (this.refetchConv.delete(id)) void this.fetchConversation(id);
    }
  }

  async createConversation(type: 'direct' | 'group', memberIds: string[], title?: string): Promise<string> {
    const r = await this.api.createConversation({ type, memberIds, ...(title ? { title } : {}) });
    this.upsert([r.conversation]);
    this.fetchPresenceFor([r.conversation]);
    return r.conversation.id;
  }

  async updateConversation(id: string, patch: { title?: string; addMemberIds?: string[]; removeMemberIds?: string[] }) {
    const r = await this.api.updateConversation(id, patch);
    const c = r?.conversation;
    if (c) {
      if (c.members && !c.members.some((m) => m.id === this.me.id)) this.removeConversation(id);
      else {
        this.upsert([c]);
        this.fetchPresenceFor([c]);
      }
    }
    return c;
  }

  async leaveConversation(id: string) {
    const c = this.store.get().conversations[id];
    await this.api.updateConversation(id, { removeMemberIds: [this.me.id] });
    this.leaveRoom(id);
    this.removeConversation(id);
    if (this.store.get().activeId === id) openConversation(null);
    if (c) this.toast(`You left ${conversationTitle(c, this.me.id)}`);
  }

  // ───────────────────────── opening a conversation ─────────────────────────

  /** Called by the router whenever the selected conversation changes (null = none). */
  setActive(id: string | null) {
    const prev = this.store.get().activeId;
    if (prev === id) return;
    if (prev) {
      this.stopTyping(prev);
      this.leaveRoom(prev);
    }
    this.store.set({ activeId: id });
    if (!id) return;
    this.join(id);
    const cm = this.store.get().messages[id];
    if (cm?.loaded) {
      void this.catchUp(id);
      this.markRead(id);
    } else void this.loadInitial(id);
  }

  reload(id: string) {
    void this.loadInitial(id);
  }

  private join(id: string) {
    if (!this.socket?.connected || this.joined === id) return;
    this.joined = id;
    this.emitAck('join_conversation', { conversationId: id }).catch(() => {
      if (this.joined === id) this.joined = null;
    });
  }

  private leaveRoom(id: string) {
    if (this.joined === id) this.joined = null;
    if (this.socket?.connected) this.socket.emit('leave_conversation', { conversationId: id });
  }

  private setMessages(id: string, patch: Partial<ConvMessages>) {
    this.store.set((s) => ({
      messages: { ...s.messages, [id]: { ...(s.messages[id] ?? EMPTY_CM), ...patch } },
    }));
  }

  private async loadInitial(id: string) {
    this.setMessages(id, { error: undefined });
    try {
      const r = await this.api.getConversation(id);
      this.upsert([r.conversation]);
      this.fetchPresenceFor([r.conversation], true);
      const msgs = r.messages ?? [];
      const pageChange = Math.max(Number(r.conversation?.lastChangeSeq ?? 0), ...msgs.map((m) => Number(m.changeSeq ?? 0)));
      const during = this.changeWhileLoading[id] ?? 0;
      delete this.changeWhileLoading[id];
      this.seeChange(id, pageChange);
      const cm = this.store.get().messages[id] ?? EMPTY_CM;
      const items = mergeMessages(cm.items, msgs);
      this.setMessages(id, {
        items,
        loaded: true,
        hasOlder: hasMore(r.nextCursor, msgs.length, (items[0]?.seq ?? 1) > 1),
      });
      // A change announced while the page was on its way, newer than the page: fetch it.
      if (during > pageChange) void this.catchUpChanges(id, pageChange);
      this.markRead(id);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
        this.removeConversation(id, 'That conversation does not exist or you are not in it');
        return;
      }
      this.setMessages(id, { error: e instanceof Error ? e.message : 'Could not load messages' });
    }
  }

  async loadOlder(id: string) {
    const cm = this.store.get().messages[id];
    if (!cm || !cm.loaded || cm.loadingOlder || !cm.hasOlder || cm.items.length === 0) return;
    this.setMessages(id, { loadingOlder: true });
    try {
      const before = cm.items[0].seq;
      const r = await this.api.messages(id, { before, limit: PAGE });
      const msgs = r.messages ?? [];
      const items = mergeMessages(this.store.get().messages[id]?.items ?? [], msgs);
      this.setMessages(id, {
        items,
        hasOlder: hasMore(r.nextCursor, msgs.length, (items[0]?.seq ?? 1) > 1),
        loadingOlder: false,
      });
    } catch {
      this.setMessages(id, { loadingOlder: false });
    }
  }

  /** Fetch everything after the newest message we hold, then refresh the conversation itself. */
  async catchUp(id: string) {
    if (this.catchingUp.has(id)) {
      this.catchUpAgain.add(id);
      return;
    }
    const cm = this.store.get().messages[id];
    if (!cm?.loaded) return;
    this.catchingUp.add(id);
    try {
      // From the end of the unbroken run of seqs we hold, so that a hole is filled too.
      let after = contiguousEnd(cm.items);
      for (let i = 0; i < 100; i++) {
        const r = await this.api.messages(id, { after, limit: CATCHUP_PAGE });
        const msgs = r.messages ?? [];
        if (msgs.length === 0) break;
        this.applyMessages(id, msgs);
        const newest = Number(msgs[msgs.length - 1].seq);
        if (newest <= after) break;
        after = newest;
        if (msgs.length < CATCHUP_PAGE && !r.nextCursor) break;
      }
      // Edits, reactions and deletions of messages we already held.
      await this.catchUpChanges(id);
      // The latest page again: tombstones of recent deletions and the members' read watermarks.
      await this.fetchConversation(id);
      this.markRead(id);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 403))
        this.removeConversation(id, 'You are no longer in that conversation');
    } finally {
      this.catchingUp.delete(id);
      if (this.catchUpAgain.delete(id)) void this.catchUp(id);
    }
  }

  // ───────────────────────── changes (edits, reactions, deletions) ─────────────────────────

  /** Raise the highest changeSeq applied in a conversation (starts tracking it). */
  private seeChange(id: string, cs: number) {
    if (!Number.isFinite(cs)) return;
    this.changeSeen[id] = Math.max(this.changeSeen[id] ?? 0, cs);
  }

  /**
   * An event carries a changeSeq: more than one above the highest applied means we missed one (a
   * lost event, or a node whose bus dropped it): fetch what changed after the one we had, soon.
   */
  private eventChange(id: string, cs: number | undefined) {
    if (cs === undefined || cs === null || !Number.isFinite(Number(cs))) return;
    const c = Number(cs);
    const seen = this.changeSeen[id];
    if (seen === undefined || !this.store.get().messages[id]?.loaded) {
      // Its first page may have been read before this change: checked when the page arrives.
      this.changeWhileLoading[id] = Math.max(this.changeWhileLoading[id] ?? 0, c);
      return;
    }
    if (c > seen + 1) {
      this.gapFrom[id] = Math.min(this.gapFrom[id] ?? seen, seen);
      if (!this.gapTimers.has(id))
        this.gapTimers.set(
          id,
          // A little later: edits and new messages are not ordered among themselves, the missing one may be on its way.
          setTimeout(() => {
            this.gapTimers.delete(id);
            const from = this.gapFrom[id];
            delete this.gapFrom[id];
            if (!this.disposed && from !== undefined) void this.catchUpChanges(id, from);
          }, 500),
        );
    }
    this.seeChange(id, c);
  }

  /** GET /api/messages/:id?changedAfter=C page by page, each message replacing our copy if newer. */
  async catchUpChanges(id: string, from?: number) {
    if (this.changesRunning.has(id)) {
      this.changesAgain.add(id);
      return;
    }
    let after = from ?? this.changeSeen[id];
    if (after === undefined || !this.store.get().messages[id]?.loaded) return;
    this.changesRunning.add(id);
    try {
      for (let i = 0; i < 200; i++) {
        const r = await this.api.changes(id, after, CATCHUP_PAGE);
        const msgs = r.messages ?? [];
        if (msgs.length === 0) break;
        this.applyMessages(id, msgs);
        const newest = Math.max(...msgs.map((m) => Number(m.changeSeq ?? 0)));
        const next = r.nextCursor !== null && r.nextCursor !== undefined && r.nextCursor !== '' ? Number(r.nextCursor) : NaN;
        if (!(newest > after)) break; // a server without changedAfter: do not loop
        after = Number.isFinite(next) && next > after ? next : newest;
        if (!Number.isFinite(next)) break;
      }
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 403))
        this.removeConversation(id, 'You are no longer in that conversation');
    } finally {
      this.changesRunning.delete(id);
      if (this.changesAgain.delete(id)) void this.catchUpChanges(id);
    }
  }

  private onReactionUpdated(e: { conversationId: string; messageId: string; changeSeq: number; reactions: Reaction[] }) {
    if (!e || !e.conversationId || !e.messageId) return;
    this.eventChange(e.conversationId, e.changeSeq);
    this.applyReactions(e);
  }

  private applyReactions(e: { conversationId: string; messageId: string; changeSeq: number; reactions: Reaction[] }) {
    const cs = Number(e.changeSeq);
    this.seeChange(e.conversationId, cs);
    this.store.set((st) => {
      const cm = st.messages[e.conversationId];
      if (!cm) return {};
      const i = cm.items.findIndex((m) => m.id === e.messageId);
      if (i < 0) return {};
      const old = cm.items[i];
      if ((old.changeSeq ?? 0) > cs || old.deletedAt) return {};
      const items = cm.items.slice();
      items[i] = { ...old, reactions: e.reactions ?? [], changeSeq: cs };
      return { messages: { ...st.messages, [e.conversationId]: { ...cm, items } } };
    });
  }

  /** Add my reaction, or take it back if I had it. */
  async toggleReaction(m: Message, emoji: string) {
    const mine = !!m.reactions?.find((r) => r.emoji === emoji)?.userIds.includes(this.me.id);
    try {
      const r = await this.api.react(m.id, emoji, !mine);
      if (r && Array.isArray(r.reactions))
        this.applyReactions({ conversationId: m.conversationId, messageId: m.id, changeSeq: r.changeSeq, reactions: r.reactions });
    } catch (e) {
      this.toast(e instanceof Error ? `Could not react: ${e.message}` : 'Could not react', 'error');
    }
  }

  /** Edit my message (PATCH); true when saved. */
  async editMessage(m: Message, body: string): Promise<boolean> {
    try {
      const r = await this.api.editMessage(m.id, body);
      const msg = (r && 'message' in r ? r.message : r) as Message | undefined;
      if (msg && msg.conversationId) this.applyMessages(msg.conversationId, [msg]);
      return true;
    } catch (e) {
      this.toast(e instanceof Error ? `Could not edit: ${e.message}` : 'Could not edit', 'error');
      return false;
    }
  }

  setReplyTo(conversationId: string, m: Message | undefined) {
    this.store.set((s) => ({
      replyTo: { ...s.replyTo, [conversationId]: m },
      editing: m ? { ...s.editing, [conversationId]: undefined } : s.editing,
    }));
  }

  setEditing(conversationId: string, m: Message | undefined) {
    this.store.set((s) => ({
      editing: { ...s.editing, [conversationId]: m },
      replyTo: m ? { ...s.replyTo, [conversationId]: undefined } : s.replyTo,
    }));
  }

  /**
   * Open a conversation at one message: older pages are loaded until its seq is held (a reply's parent,
   * a search hit), then the list scrolls to it and flashes it.
   */
  async jumpTo(conversationId: string, seq: number) {
    const ticket = ++this.jumping;
    if (this.store.get().activeId !== conversationId) openConversation(conversationId);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.disposed || ticket !== this.jumping) return;
      const cm = this.store.get().messages[conversationId];
      if (cm?.loaded && (cm.items.some((m) => m.seq === seq) || !cm.hasOlder || (cm.items[0]?.seq ?? 0) <= seq)) break;
      if (cm?.error || Date.now() > deadline) return;
      if (cm?.loaded && !cm.loadingOlder) await this.loadOlder(conversationId);
      else await new Promise((r) => setTimeout(r, 50));
    }
    this.store.set({ highlight: { conversationId, seq, at: Date.now() } });
  }

  // ───────────────────────── search, mute, notifications ─────────────────────────

  search(q: string, cursor?: string | null) {
    return this.api.search({ q, limit: 20, cursor });
  }

  async setMuted(id: string, muted: boolean) {
    try {
      const r = (await this.api.mute(id, muted)) as unknown as { conversation?: Conversation } & Partial<Conversation>;
      const c = r?.conversation ?? (r?.id ? (r as Conversation) : undefined);
      this.store.set((s) => {
        const conv = s.conversations[id];
        if (!conv) return {};
        return { conversations: { ...s.conversations, [id]: { ...conv, muted: c?.muted ?? muted } } };
      });
    } catch (e) {
      this.toast(e instanceof Error ? `Could not change: ${e.message}` : 'Could not change', 'error');
    }
  }

  /** Ask for the browser's permission (must run in a user gesture). */
  async enableNotifications() {
    if (typeof Notification === 'undefined') return;
    try {
      const p = await Notification.requestPermission();
      this.store.set({ notifyPermission: p as ChatState['notifyPermission'] });
    } catch {
      /* an old browser without the promise form */
    }
  }

  /** A new message from someone else, while the tab is hidden, in a conversation not muted. */
  private notify(m: Message) {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    if (typeof document === 'undefined' || !document.hidden) return;
    const s = this.store.get();
    const conv = s.conversations[m.conversationId];
    if (!conv || conv.muted || m.senderId === this.me.id || m.deletedAt) return;
    const sender = s.users[m.senderId] ?? conv.members.find((x) => x.id === m.senderId);
    const who = sender ? sender.displayName || sender.username : 'Someone';
    const mentioned = !!m.mentions?.includes(this.me.id);
    const title = conv.type === 'group' ? `${who} in ${conversationTitle(conv, this.me.id)}` : who;
    const body = (mentioned ? 'Mentioned you: ' : '') + (m.body || (m.attachments?.length ? 'Sent an attachment' : ''));
    try {
      const n = new Notification(title, { body: body.slice(0, 200), tag: m.id });
      n.onclick = () => {
        window.focus();
        openConversation(m.conversationId);
        n.close();
      };
    } catch {
      /* e.g. mobile Chrome needs a service worker for notifications */
    }
  }

  /** seq has no gaps: a hole in what we hold means something was missed. Fill it (once per hole). */
  private checkHoles(id: string) {
    const items = this.store.get().messages[id]?.items;
    if (!items || items.length < 2) return;
    const end = contiguousEnd(items);
    if (end === items[items.length - 1].seq || this.holeTried[id] === end) return;
    this.holeTried[id] = end;
    // A little later: the missing broadcast may simply still be on its way.
    setTimeout(() => {
      const now = this.store.get().messages[id]?.items;
      if (!this.disposed && now && contiguousEnd(now) === end && end !== now[now.length - 1].seq) void this.catchUp(id);
    }, 800);
  }

  // ───────────────────────── messages ─────────────────────────

  /** Merge confirmed messages of one conversation into the list and the conversation summary. */
  private applyMessages(id: string, raw: Message[], live = false) {
    if (raw.length === 0) return;
    const msgs = raw.map(normMessage);
    if (this.changeSeen[id] !== undefined) for (const m of msgs) if (m.changeSeq !== undefined) this.seeChange(id, m.changeSeq);
    const meId = this.me.id;
    const s = this.store.get();
    const active = s.activeId === id && typeof document !== 'undefined' && document.visibilityState === 'visible';
    this.store.set((st) => {
      const patch: Partial<ChatState> = {};
      const conv = st.conversations[id];
      if (conv) {
        let { lastSeq, lastMessage, unreadCount } = conv;
        let mentionCount = conv.mentionCount ?? 0;
        const mentionsMe = (m: Message) => m.senderId !== meId && !m.deletedAt && !!m.mentions?.includes(meId);
        for (const m of msgs) {
          if (m.seq > lastSeq) {
            if (live && m.senderId !== meId && m.seq > conv.lastReadSeq && !active) {
              unreadCount += 1;
              if (mentionsMe(m)) mentionCount += 1;
            }
            lastSeq = m.seq;
            lastMessage = m;
          } else if (
            lastMessage &&
            lastMessage.seq === m.seq &&
            !lastMessage.deletedAt &&
            (m.deletedAt || (m.changeSeq ?? 0) >= (lastMessage.changeSeq ?? 0))
          )
            lastMessage = m;
        }
        if (!live && lastSeq > conv.lastSeq) {
          // Caught up through REST: count what arrived from others after our watermark.
          const fresh = msgs.filter((m) => m.senderId !== meId && m.seq > Math.max(conv.lastSeq, conv.lastReadSeq) && !m.deletedAt);
          unreadCount += fresh.length;
          mentionCount += fresh.filter(mentionsMe).length;
          if (active) unreadCount = mentionCount = 0;
        }
        patch.conversations = { ...st.conversations, [id]: { ...conv, lastSeq, lastMessage, unreadCount, mentionCount } };
      }
      const cm = st.messages[id];
      if (cm) {
        const mine = new Set(msgs.filter((m) => m.senderId === meId).map((m) => m.clientMsgId));
        const pending = mine.size ? cm.pending.filter((p) => !mine.has(p.clientMsgId)) : cm.pending;
        let items = cm.items;
        if (cm.loaded) items = mergeMessages(items, msgs);
        patch.messages = { ...st.messages, [id]: { ...cm, items, pending } };
      }
      const typers = st.typing[id];
      if (live && typers && msgs.some((m) => typers[m.senderId])) {
        const t = { ...typers };
        for (const m of msgs) delete t[m.senderId];
        patch.typing = { ...st.typing, [id]: t };
      }
      return patch;
    });
    if (!this.catchingUp.has(id)) this.checkHoles(id);
    if (s.activeId === id) this.markRead(id);
  }

  private onNewMessage(m: Message) {
    if (!m || !m.conversationId) return;
    if (!this.store.get().conversations[m.conversationId]) {
      void this.fetchConversation(m.conversationId);
      return;
    }
    this.eventChange(m.conversationId, m.changeSeq);
    this.applyMessages(m.conversationId, [m], true);
    this.notify(m);
  }

  private onMessageDeleted(m: Message) {
    if (!m || !m.conversationId) return;
    this.eventChange(m.conversationId, m.changeSeq);
    const tomb: Message = { ...m, body: '', reactions: [], mentions: [], deletedAt: m.deletedAt ?? new Date().toISOString() };
    this.applyMessages(m.conversationId, [tomb]);
  }

  /** An edit, or a preview finished (ready or failed): the whole message, replaced if newer (changeSeq). */
  private onMessageUpdated(m: Message) {
    if (!m || !m.conversationId || !this.store.get().conversations[m.conversationId]) return;
    this.eventChange(m.conversationId, m.changeSeq);
    this.applyMessages(m.conversationId, [m]);
  }

  /** Send the text and the finished uploads of the composer (a message may be attachments only). */
  send(conversationId: string, text: string) {
    const body = text.replace(/^\s*\n/, '').replace(/\s+$/, '');
    const ready = (this.store.get().uploads[conversationId] ?? []).filter((u) => u.status === 'done' && u.attachment);
    if (!body.trim() && ready.length === 0) return;
    if ((this.store.get().uploads[conversationId] ?? []).some((u) => u.status === 'uploading')) return;
    const p: PendingMessage = {
      clientMsgId: newClientId(),
      conversationId,
      body: body.trim() ? body : '',
      attachments: ready.map((u) => u.attachment!),
      createdAt: new Date().toISOString(),
      status: 'sending',
    };
    const parent = this.store.get().replyTo[conversationId];
    if (parent) {
      p.replyToId = parent.id;
      p.replyTo = { id: parent.id, seq: parent.seq, senderId: parent.senderId, body: parent.body.slice(0, 200), deleted: !!parent.deletedAt };
    }
    const sent = new Set(ready.map((u) => u.localId));
    this.store.set((s) => {
      const cm = s.messages[conversationId] ?? EMPTY_CM;
      const localImages = { ...s.localImages };
      for (const u of ready) if (u.localUrl) localImages[u.attachment!.id] = u.localUrl;
      return {
        messages: { ...s.messages, [conversationId]: { ...cm, pending: [...cm.pending, p] } },
        uploads: { ...s.uploads, [conversationId]: (s.uploads[conversationId] ?? []).filter((u) => !sent.has(u.localId)) },
        localImages,
        replyTo: parent ? { ...s.replyTo, [conversationId]: undefined } : s.replyTo,
      };
    });
    this.stopTyping(conversationId);
    void this.deliver(p);
  }

  private setPending(p: PendingMessage, patch: Partial<PendingMessage> | null) {
    this.store.set((s) => {
      const cm = s.messages[p.conversationId];
      if (!cm) return {};
      const pending = patch
        ? cm.pending.map((x) => (x.clientMsgId === p.clientMsgId ? { ...x, ...patch } : x))
        : cm.pending.filter((x) => x.clientMsgId !== p.clientMsgId);
      return { messages: { ...s.messages, [p.conversationId]: { ...cm, pending } } };
    });
  }

  private stillPending(p: PendingMessage) {
    return !!this.store.get().messages[p.conversationId]?.pending.some((x) => x.clientMsgId === p.clientMsgId);
  }

  /**
   * Send one pending message: over the socket with an ack when connected, else (or when no ack comes)
   * over REST. The same clientMsgId every time, so the server stores it once whatever happens.
   */
  private async deliver(p: PendingMessage, attempt = 0) {
    if (this.disposed || this.inFlight.has(p.clientMsgId) || !this.stillPending(p)) return;
    const t = this.retryTimers.get(p.clientMsgId);
    if (t) clearTimeout(t);
    this.retryTimers.delete(p.clientMsgId);
    this.inFlight.add(p.clientMsgId);
    const payload = {
      conversationId: p.conversationId,
      body: p.body,
      clientMsgId: p.clientMsgId,
      ...(p.attachments?.length ? { attachmentIds: p.attachments.map((a) => a.id) } : {}),
      ...(p.replyToId ? { replyToId: p.replyToId } : {}),
    };
    try {
      let m: Message | undefined;
      if (this.socket?.connected) {
        try {
          const data = await this.emitAck<Message | { message: Message }>('new_message', payload, 10000);
          m = (data && 'message' in data ? data.message : data) as Message;
        } catch (e) {
          if (e instanceof ApiError) throw e;
          m = (await this.api.sendMessage(payload)).message; // no ack in time, or the socket dropped
        }
      } else m = (await this.api.sendMessage(payload)).message;
      this.confirm(p, m);
    } catch (e) {
      if (e instanceof ApiError && !e.isNetwork && e.status !== 429 && e.code !== 'rate_limited' && e.status < 500) {
        this.setPending(p, { status: 'failed', error: e.message });
      } else {
        // Offline, server down or busy: try again a little later (a reconnect also retries at once).
        const wait =
          e instanceof ApiError && e.retryAfterMs ? Math.max(250, e.retryAfterMs) : Math.min(10000, 1500 * 2 ** attempt);
        this.retryTimers.set(
          p.clientMsgId,
          setTimeout(() => {
            this.retryTimers.delete(p.clientMsgId);
            void this.deliver(p, attempt + 1);
          }, wait),
        );
      }
    } finally {
      this.inFlight.delete(p.clientMsgId);
    }
  }

  private confirm(p: PendingMessage, m: Message | undefined) {
    if (m && m.conversationId) {
      this.applyMessages(m.conversationId, [{ ...m, clientMsgId: m.clientMsgId || p.clientMsgId }]);
    }
    this.setPending(p, null);
  }

  retry(p: PendingMessage) {
    this.setPending(p, { status: 'sending', error: undefined });
    void this.deliver({ ...p, status: 'sending' });
  }

  discard(p: PendingMessage) {
    this.setPending(p, null);
  }

  async deleteMessage(m: Message) {
    try {
      await this.api.deleteMessage(m.id);
      this.onMessageDeleted({ ...m, body: '', deletedAt: new Date().toISOString() });
    } catch (e) {
      this.toast(e instanceof Error ? `Could not delete: ${e.message}` : 'Could not delete', 'error');
    }
  }

  // ───────────────────────── attachments ─────────────────────────

  /** Start uploading files picked, dropped or pasted into a conversation's composer. */
  addFiles(conversationId: string, files: File[]) {
    const have = this.store.get().uploads[conversationId]?.length ?? 0;
    const room = Math.max(0, MAX_ATTACHMENTS - have);
    if (files.length > room) this.toast(`At most ${MAX_ATTACHMENTS} files per message`, 'error');
    for (const file of files.slice(0, room)) {
      const name = file.name || `pasted-${new Date().toISOString().replace(/[:.]/g, '-')}.${(file.type.split('/')[1] || 'bin').replace(/\W/g, '')}`;
      const u: Upload = {
        localId: newClientId(),
        conversationId,
        name,
        size: file.size,
        type: file.type,
        localUrl: isImageType(file.type) ? URL.createObjectURL(file) : undefined,
        loaded: 0,
        status: 'uploading',
      };
      this.store.set((s) => ({ uploads: { ...s.uploads, [conversationId]: [...(s.uploads[conversationId] ?? []), u] } }));
      this.files.set(u.localId, file);
      this.startUpload(u);
    }
  }

  private startUpload(u: Upload) {
    const file = this.files.get(u.localId);
    if (!file) return;
    const h = uploadFile(this.api.token ?? '', u.conversationId, file, u.name, (loaded) => this.setUpload(u, { loaded }));
    this.xhrs.set(u.localId, h);
    h.promise
      .then((attachment) => {
        this.files.delete(u.localId);
        this.setUpload(u, { status: 'done', loaded: u.size, attachment });
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 'aborted') return;
        if (e instanceof ApiError && e.status === 401) this.onUnauthorized();
        // A refusal that would only repeat (too large, over quota) cannot be retried.
        const retryable = !(e instanceof ApiError) || e.isNetwork || e.status >= 500 || e.status === 429;
        if (!retryable) this.files.delete(u.localId);
        this.setUpload(u, { status: 'failed', error: e instanceof Error ? e.message : 'Upload failed', retryable });
      })
      .finally(() => this.xhrs.delete(u.localId));
  }

  /** Upload a failed file again (after a network failure or a server error). */
  retryUpload(u: Upload) {
    if (!this.files.has(u.localId) || this.xhrs.has(u.localId)) return;
    this.setUpload(u, { status: 'uploading', loaded: 0, error: undefined, retryable: undefined });
    this.startUpload(u);
  }

  private setUpload(u: Upload, patch: Partial<Upload> | null) {
    this.store.set((s) => {
      const list = s.uploads[u.conversationId];
      if (!list) return {};
      const next = patch ? list.map((x) => (x.localId === u.localId ? { ...x, ...patch } : x)) : list.filter((x) => x.localId !== u.localId);
      return { uploads: { ...s.uploads, [u.conversationId]: next } };
    });
  }

  /** Cancel an upload in flight (aborts the request) or remove a finished or failed one. */
  removeUpload(u: Upload) {
    this.xhrs.get(u.localId)?.abort();
    this.xhrs.delete(u.localId);
    this.files.delete(u.localId);
    if (u.localUrl) URL.revokeObjectURL(u.localUrl);
    this.setUpload(u, null);
  }

  /**
   * The media token for `?access=`: fetched at start, refreshed 5 minutes before it expires (or at half
   * its life when shorter), and at once when an image fails to load with a token older than a minute.
   */
  refreshMediaToken(force = false): Promise<void> {
    if (this.mediaFetching) return this.mediaFetching;
    if (!force && this.store.get().mediaToken && Date.now() - this.mediaFetchedAt < 60_000) return Promise.resolve();
    this.mediaFetching = (async () => {
      if (this.mediaTimer) clearTimeout(this.mediaTimer);
      let next = 15_000;
      try {
        const r = await this.api.mediaToken();
        if (this.disposed) return;
        this.mediaFetchedAt = Date.now();
        this.store.set({ mediaToken: r.token });
        const life = Date.parse(r.expiresAt) - Date.now();
        if (Number.isFinite(life)) next = Math.max(30_000, Math.min(life - 5 * 60_000, life / 2));
        else next = 30 * 60_000;
      } catch {
        /* offline or refused: try again soon (a 401 has logged out already) */
      } finally {
        this.mediaFetching = null;
        if (!this.disposed) this.mediaTimer = setTimeout(() => void this.refreshMediaToken(true), next);
      }
    })();
    return this.mediaFetching;
  }

  /** An <img> failed: maybe the token ran out (laptop asleep past the timer). */
  mediaFailed() {
    void this.refreshMediaToken();
  }

  // ───────────────────────── read state ─────────────────────────

  markRead(id: string) {
    const s = this.store.get();
    if (s.activeId !== id || typeof document === 'undefined' || document.visibilityState !== 'visible') return;
    const conv = s.conversations[id];
    const cm = s.messages[id];
    if (!conv || !cm?.loaded || cm.items.length === 0) return;
    const last = cm.items[cm.items.length - 1];
    if (last.seq <= conv.lastReadSeq && conv.unreadCount === 0) return;
    if ((this.readRequested[id] ?? 0) >= last.seq) return;
    this.readRequested[id] = last.seq;
    this.applyRead(id, this.me.id, last.seq);
    const undo = () => {
      if (this.readRequested[id] === last.seq) delete this.readRequested[id];
    };
    // The answer's mentionCount is the server's own count (mentions among what stays unread).
    const took = (r: { lastReadSeq?: number; mentionCount?: number } | undefined) => {
      if (!r || typeof r.mentionCount !== 'number' || Number(r.lastReadSeq) !== last.seq) return;
      this.store.set((st) => {
        const c = st.conversations[id];
        return c ? { conversations: { ...st.conversations, [id]: { ...c, mentionCount: r.mentionCount } } } : {};
      });
    };
    if (this.socket?.connected) {
      this.emitAck<{ lastReadSeq?: number; mentionCount?: number }>('message_read', { conversationId: id, messageId: last.id }).then(took, (e) => {
        if (!(e instanceof ApiError)) this.api.markRead(last.id).then(took, undo);
        else undo();
      });
    } else this.api.markRead(last.id).then(took, undo);
  }

  private applyRead(conversationId: string, userId: string, seq: number) {
    const meId = this.me.id;
    this.store.set((s) => {
      const conv = s.conversations[conversationId];
      if (!conv) return {};
      const members = conv.members.map((m) => (m.id === userId && seq > m.lastReadSeq ? { ...m, lastReadSeq: seq } : m));
      let { lastReadSeq, unreadCount } = conv;
      let mentionCount = conv.mentionCount ?? 0;
      if (userId === meId && seq > lastReadSeq) {
        lastReadSeq = seq;
        if (seq >= conv.lastSeq) unreadCount = mentionCount = 0;
        else {
          const items = s.messages[conversationId]?.items ?? [];
          const covered = items.length > 0 && items[0].seq <= seq + 1;
          const rest = items.filter((m) => m.seq > seq && m.senderId !== meId && !m.deletedAt);
          const left = rest.length;
          unreadCount = covered ? left : Math.min(unreadCount, Math.max(left, conv.lastSeq - seq));
          const mentions = rest.filter((m) => m.mentions?.includes(meId)).length;
          mentionCount = covered ? mentions : Math.min(mentionCount, unreadCount);
        }
      }
      return {
        conversations: { ...s.conversations, [conversationId]: { ...conv, members, lastReadSeq, unreadCount, mentionCount } },
      };
    });
  }

  private onRead(e: { conversationId: string; userId: string; seq: number }) {
    if (!e || !e.conversationId) return;
    this.applyRead(e.conversationId, e.userId, Number(e.seq));
  }

  // ───────────────────────── typing ─────────────────────────

  /** The composer calls this on every edit. */
  typing(convId: string) {
    if (!this.socket?.connected) return;
    const now = Date.now();
    const st = this.typingState;
    if (!st || st.convId !== convId || now - st.sentAt > TYPING_SEND_EVERY) {
      if (st && st.convId !== convId) this.stopTyping(st.convId);
      this.socket.emit('typing', { conversationId: convId });
      this.typingState = { convId, sentAt: now, timer: st?.convId === convId ? st.timer : null };
    }
    const t = this.typingState!;
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => this.stopTyping(convId), TYPING_IDLE);
  }

  stopTyping(convId: string) {
    const st = this.typingState;
    if (!st || st.convId !== convId) return;
    if (st.timer) clearTimeout(st.timer);
    this.typingState = null;
    if (this.socket?.connected) this.socket.emit('stop_typing', { conversationId: convId });
  }

  private onTyping(e: { conversationId: string; userId: string }, on: boolean) {
    if (!e || !e.conversationId || e.userId === this.me.id) return;
    this.store.set((s) => {
      const cur = s.typing[e.conversationId] ?? {};
      if (!on && !cur[e.userId]) return {};
      const next = { ...cur };
      if (on) next[e.userId] = Date.now() + TYPING_EXPIRE;
      else delete next[e.userId];
      return { typing: { ...s.typing, [e.conversationId]: next } };
    });
  }

  private sweepTyping() {
    const now = Date.now();
    const t = this.store.get().typing;
    let changed = false;
    const next: ChatState['typing'] = {};
    for (const [cid, users] of Object.entries(t)) {
      const keep: Record<string, number> = {};
      for (const [uid, exp] of Object.entries(users)) {
        if (exp > now) keep[uid] = exp;
        else changed = true;
      }
      next[cid] = keep;
    }
    if (changed) this.store.set({ typing: next });
  }

  // ───────────────────────── presence and users ─────────────────────────

  private onPresence(p: Presence) {
    if (!p || !p.userId) return;
    this.store.set((s) => ({ presence: { ...s.presence, [p.userId]: p } }));
  }

  /** Ask the status of the people we show a dot for (direct peers; all members when `all`). */
  fetchPresenceFor(convs: Conversation[], all = false) {
    const meId = this.me.id;
    const ids: string[] = [];
    for (const c of convs) {
      if (!c?.members) continue;
      if (c.type !== 'direct' && !all) continue;
      for (const m of c.members)
        if (m.id !== meId && !this.presenceAsked.has(m.id)) {
          this.presenceAsked.add(m.id);
          ids.push(m.id);
        }
    }
    if (ids.length === 0) return;
    void (async () => {
      for (let i = 0; i < ids.length; i += 4) {
        if (this.disposed) return;
        const got = await Promise.allSettled(ids.slice(i, i + 4).map((id) => this.api.status(id)));
        const presence: Record<string, Presence> = {};
        for (const g of got) if (g.status === 'fulfilled' && g.value?.userId) presence[g.value.userId] = g.value;
        this.store.set((s) => ({ presence: { ...s.presence, ...presence } }));
      }
    })();
  }

  async searchUsers(q: string): Promise<User[]> {
    const r = await this.api.searchUsers(q, 20);
    return (r.users ?? []).filter((u) => u.id !== this.me.id);
  }
}
