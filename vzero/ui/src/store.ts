// A value several components share, with a hook that re-renders them when it changes.
import { useEffect, useState } from "preact/hooks";

export interface Store<T> {
  get(): T;
  set(value: T | ((old: T) => T)): void;
  subscribe(listener: () => void): () => void;
}

export function store<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      const updated = typeof next === "function" ? (next as (old: T) => T)(value) : next;
      if (updated === value) return;
      value = updated;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T>(s: Store<T>): T {
  const [, rerender] = useState(0);
  useEffect(() => s.subscribe(() => rerender((n) => n + 1)), [s]);
  return s.get();
}
