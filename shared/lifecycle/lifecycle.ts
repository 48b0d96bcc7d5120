/** Every service: start() once, stop() any number of times; stop() never exits the process. */
export interface Service {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Wraps a stop function so calling it twice (or concurrently) runs it once. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

/** Runs fn, rejecting if it takes longer than ms. */
export async function withTimeout<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
