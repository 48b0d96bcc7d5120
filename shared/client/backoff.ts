/** Reconnect delays: exponential growth with random jitter, capped. */
export interface BackoffOptions {
  /** First delay in ms (default 500). */
  initialMs: number;
  /** Upper bound of any delay in ms (default 30000). */
  maxMs: number;
  /** Growth per failed attempt (default 2). */
  factor: number;
  /**
   * Fraction of the delay that is random, 0..1 (default 0.5): a delay is drawn uniformly from
   * [base * (1 - jitter), base], so clients that lost the same room do not return in step.
   */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** Counts consecutive failures and turns them into delays. */
export interface Backoff {
  /** Failures since the last reset(). */
  readonly attempts: number;
  /** Records one more failure and returns the delay (ms) before the next try. */
  next(): number;
  /** Back to the first delay (after a connection proved healthy). */
  reset(): void;
}

/** Validates the options; throws a RangeError naming the bad one. */
export function checkBackoff(o: BackoffOptions): BackoffOptions {
  if (!(o.initialMs >= 0) || !Number.isFinite(o.initialMs)) throw new RangeError('backoff.initialMs must be a finite number >= 0');
  if (!(o.maxMs >= o.initialMs)) throw new RangeError('backoff.maxMs must be >= backoff.initialMs');
  if (!(o.factor >= 1)) throw new RangeError('backoff.factor must be >= 1');
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError('backoff.jitter must be between 0 and 1');
  return o;
}

class ExpBackoff implements Backoff {
  attempts = 0;

  constructor(
    private readonly o: BackoffOptions,
    private readonly random: () => number,
  ) {}

  next(): number {
    const base = Math.min(this.o.maxMs, this.o.initialMs * this.o.factor ** this.attempts);
    this.attempts++;
    return Math.round(base * (1 - this.o.jitter * this.random()));
  }

  reset(): void {
    this.attempts = 0;
  }
}

/** Creates a backoff; `random` (default Math.random) is injectable for tests. */
export function createBackoff(options: Partial<BackoffOptions> = {}, random: () => number = Math.random): Backoff {
  return new ExpBackoff(checkBackoff({ ...defaultBackoff, ...options }), random);
}
