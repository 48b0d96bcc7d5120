import type { RegisterService, Session } from '../../shared/contracts/register';

/**
 * register.register() for many connections at once: the sessions of every call made in one
 * event-loop turn go to the register in ONE call on the next turn (a connect storm then costs
 * one Redis pipeline per turn instead of one per connection). Each caller gets the sessions
 * replaced by ITS sessions (same app and device, another connId), or the batch's error.
 */
export interface RegisterBatch {
  register(sessions: Session[]): Promise<Session[]>;
}

interface Caller {
  sessions: Session[];
  resolve: (replaced: Session[]) => void;
  reject: (err: unknown) => void;
}

/** Key of a session's device in one app. */
const deviceKey = (app: string, device: string): string => `${app}\u0000${device}`;

/** Splits the batch's answer: per caller, the replaced sessions of its own devices. */
function settle(callers: Caller[], replaced: Session[]): void {
  if (callers.length === 1) return callers[0].resolve(replaced);
  const byDevice = new Map<string, Session[]>();
  for (const r of replaced) {
    const k = deviceKey(r.app, r.device);
    const list = byDevice.get(k);
    if (list) list.push(r);
    else byDevice.set(k, [r]);
  }
  for (const c of callers) {
    const mine: Session[] = [];
    for (const s of c.sessions) {
      for (const r of byDevice.get(deviceKey(s.app, s.device)) ?? []) if (r.connId !== s.connId) mine.push(r);
    }
    c.resolve(mine);
  }
}

/** One register call for the callers; a failed batch of several is retried caller by caller (a bad session fails only its own). */
async function flushCallers(register: Pick<RegisterService, 'register'>, batch: Caller[]): Promise<void> {
  try {
    const sessions = batch.length === 1 ? batch[0].sessions : batch.flatMap((c) => c.sessions);
    return settle(batch, await register.register(sessions));
  } catch (err) {
    if (batch.length === 1) return batch[0].reject(err);
  }
  await Promise.all(batch.map((c) => flushCallers(register, [c])));
}

export function createRegisterBatch(register: Pick<RegisterService, 'register'>): RegisterBatch {
  let callers: Caller[] = [];
  const flush = (): void => {
    const batch = callers;
    callers = [];
    void flushCallers(register, batch);
  };
  return {
    register: (sessions) =>
      new Promise<Session[]>((resolve, reject) => {
        if (callers.length === 0) setImmediate(flush);
        callers.push({ sessions, resolve, reject });
      }),
  };
}
