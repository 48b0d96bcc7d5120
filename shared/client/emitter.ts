/** Listener for an event whose argument type is T. */
export type Listener<T> = (arg: T) => void;

/**
 * A tiny typed event emitter (no Node 'events' import, so it runs in browsers).
 * Listeners run synchronously in registration order. A listener that throws does not stop
 * the others: the error goes to `onListenerError` and emit() returns false.
 */
export interface Emitter<Events extends object> {
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void;
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void;
  /** Calls every listener of the event; false when one of them threw. */
  emit<K extends keyof Events>(event: K, arg: Events[K]): boolean;
  /** Number of listeners of the event. */
  count(event: keyof Events): number;
  /** Removes every listener. */
  clear(): void;
}

class TinyEmitter<Events extends object> implements Emitter<Events> {
  // Listener lists are created on the first on(): an idle client holds one empty object.
  private lists: { [K in keyof Events]?: Listener<Events[K]>[] } = {};

  constructor(private readonly onListenerError: (err: unknown, event: keyof Events) => void) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    const list = this.lists[event];
    if (list) list.push(listener);
    else this.lists[event] = [listener];
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    const list = this.lists[event];
    if (!list) return;
    const at = list.indexOf(listener);
    // Copy on write, so an emit() that is iterating keeps its own snapshot.
    if (at >= 0) this.lists[event] = list.filter((_, i) => i !== at);
  }

  emit<K extends keyof Events>(event: K, arg: Events[K]): boolean {
    const list = this.lists[event];
    if (!list) return true;
    let ok = true;
    for (const listener of list) {
      try {
        listener(arg);
      } catch (err) {
        ok = false;
        this.onListenerError(err, event);
      }
    }
    return ok;
  }

  count(event: keyof Events): number {
    return this.lists[event]?.length ?? 0;
  }

  clear(): void {
    this.lists = {};
  }
}

/** Creates an emitter; `onListenerError` receives whatever a listener throws. */
export function createEmitter<Events extends object>(
  onListenerError: (err: unknown, event: keyof Events) => void,
): Emitter<Events> {
  return new TinyEmitter<Events>(onListenerError);
}
