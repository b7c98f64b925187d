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
  createdAt: string;
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
