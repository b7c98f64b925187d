'use client';

import { useEffect, useState } from 'react';
import { useChat } from './ChatContext';
import { IconCheck, IconWifiOff } from './icons';
import { Spinner } from './ui';

export default function ConnectionBanner() {
  const connection = useChat((s) => s.connection);
  const everConnected = useChat((s) => s.everConnected);
  const caughtUpAt = useChat((s) => s.caughtUpAt);
  const [showBack, setShowBack] = useState(false);

  useEffect(() => {
    if (!caughtUpAt) return;
    setShowBack(true);
    const t = setTimeout(() => setShowBack(false), 2500);
    return () => clearTimeout(t);
  }, [caughtUpAt]);

  if (connection === 'disconnected')
    return (
      <div
        role="status"
        aria-live="polite"
        data-testid="disconnected-banner"
        className="flex items-center justify-center gap-2 border-b border-warn/20 bg-warn-soft px-4 py-2 text-[13px] font-medium text-warn"
      >
        <IconWifiOff size={16} />
        <span>{everConnected ? 'Connection lost. Reconnecting…' : 'Cannot reach the server. Retrying…'}</span>
        <Spinner size={14} />
      </div>
    );

  if (showBack && connection === 'connected')
    return (
      <div
        role="status"
        aria-live="polite"
        data-testid="reconnected-banner"
        className="flex items-center justify-center gap-2 border-b border-ok/20 bg-ok/10 px-4 py-2 text-[13px] font-medium text-ok animate-fade-in"
      >
        <IconCheck size={16} />
        <span>Back online — you’re all caught up</span>
      </div>
    );

  return null;
}
