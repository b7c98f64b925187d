export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt?: string;
  email?: string;
}

export interface Member extends User {
  role: 'admin' | 'member';
  lastReadSeq: number;
}

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  clientMsgId: string;
  createdAt: string;
  deletedAt: string | null;
  /** Files and images (docs/media.md); [] when none, emptied when the message is deleted. */
  attachments?: Attachment[];
  /** The conversation's change sequence at this message's latest change (docs/features.md). */
  changeSeq?: number;
  editedAt?: string | null;
  replyToId?: string | null;
  replyTo?: ReplyRef | null;
  /** User ids mentioned (distinct, ascending). */
  mentions?: string[];
  reactions?: Reaction[];
}

/** The parent of a reply as it is when read: body cut to 200 characters, "" when deleted. */
export interface ReplyRef {
  id: string;
  seq: number;
  senderId: string;
  body: string;
  deleted: boolean;
}

export interface Reaction {
  emoji: string;
  count: number;
  userIds: string[];
}

/** One search hit: `snippet` is HTML (escaped text, matches in <mark>). */
export interface SearchResult {
  message: Message;
  snippet: string;
}

/** A file attached to a message (docs/media.md). URLs are relative and need `?access=<media token>`. */
export interface Attachment {
  id: string;
  name: string;
  size: number;
  contentType: string;
  width?: number;
  height?: number;
  /** none: not an image we preview; pending → ready | failed (a failed preview shows as a file). */
  preview?: 'none' | 'pending' | 'ready' | 'failed';
  url: string;
  /** ≤ 320 px, once the preview is ready. */
  thumbnailUrl?: string;
  /** ≤ 1280 px, once the preview is ready. */
  previewUrl?: string;
}

/** A file being uploaded (or uploaded, not sent yet) in a conversation's composer. */
export interface Upload {
  localId: string;
  conversationId: string;
  name: string;
  size: number;
  type: string;
  /** A blob: URL of the local file, for images only (shown while uploading). */
  localUrl?: string;
  loaded: number;
  status: 'uploading' | 'done' | 'failed';
  error?: string;
  /** A failed upload that may succeed if tried again (network, 5xx, 429). */
  retryable?: boolean;
  attachment?: Attachment;
}

export interface Conversation {
  id: string;
  type: 'direct' | 'group';
  title: string | null;
  members: Member[];
  createdAt: string;
  lastMessage: Message | null;
  lastSeq: number;
  lastReadSeq: number;
  unreadCount: number;
  lastChangeSeq?: number;
  /** Unread messages that mention me. */
  mentionCount?: number;
  muted?: boolean;
}

export interface Presence {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
}

/** A message of ours that the server has not confirmed yet. */
export interface PendingMessage {
  clientMsgId: string;
  conversationId: string;
  body: string;
  attachments: Attachment[];
  createdAt: string;
  replyToId?: string;
  replyTo?: ReplyRef | null;
  status: 'sending' | 'failed';
  error?: string;
}

export interface ConvMessages {
  /** Confirmed messages (tombstones included), ascending by seq, unique by seq. */
  items: Message[];
  pending: PendingMessage[];
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  error?: string;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected';
