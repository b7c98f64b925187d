'use client';

import { createContext, useContext } from 'react';
import type { ChatClient, ChatState } from '@/lib/chat';
import { useStore } from '@/lib/store';

export const ChatContext = createContext<ChatClient | null>(null);

export function useClient(): ChatClient {
  const c = useContext(ChatContext);
  if (!c) throw new Error('ChatContext missing');
  return c;
}

export function useChat<T>(select: (s: ChatState) => T): T {
  return useStore(useClient().store, select);
}
