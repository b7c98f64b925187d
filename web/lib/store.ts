import { useSyncExternalStore } from 'react';

/** A tiny external store: immutable state, synchronous updates, selector hooks. */
export class Store<S> {
  private listeners = new Set<() => void>();
  constructor(private state: S) {}

  get = (): S => this.state;

  set = (update: Partial<S> | ((s: S) => Partial<S> | S)) => {
    const patch = typeof update === 'function' ? update(this.state) : update;
    if (patch === this.state) return;
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  };

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  };
}

export function useStore<S, T>(store: Store<S>, select: (s: S) => T): T {
  return useSyncExternalStore(
    store.subscribe,
    () => select(store.get()),
    () => select(store.get()),
  );
}
