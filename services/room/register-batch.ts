import { createCoalescer } from '../../shared/batching/coalescer';
import type { RegisterService, Session } from '../../shared/contracts/register';

/**
 * register.register() for many connections at once: the sessions of every call made in one
 * event-loop turn go to the register in ONE call on the next turn (a connect storm then costs
 * one Redis pipeline per turn instead of one per connection). Each caller gets the sessions
 * replaced by ITS sessions (same app and device, another connId), or the batch's error; a failed
 * batch of several callers is retried caller by caller (createCoalescer), so a bad session fails
 * only its own caller.
 */
export interface RegisterBatch {
  register(sessions: Session[]): Promise<Session[]>;
}

/** Key of a session's device in one app. */
const deviceKey = (app: string, device: string): string => `${app}\u0000${device}`;

/** Per session of the batch, the sessions the register answered it replaced. */
function replacedPerSession(sessions: Session[], replaced: Session[]): Session[][] {
  const byDevice = new Map<string, Session[]>();
  for (const r of replaced) {
    const k = deviceKey(r.app, r.device);
    const list = byDevice.get(k);
    if (list) list.push(r);
    else byDevice.set(k, [r]);
  }
  return sessions.map((s) => (byDevice.get(deviceKey(s.app, s.device)) ?? []).filter((r) => r.connId !== s.connId));
}

export function createRegisterBatch(register: Pick<RegisterService, 'register'>): RegisterBatch {
  const run = createCoalescer<Session, Session[]>(async (sessions) => replacedPerSession(sessions, await register.register(sessions)));
  return { register: async (sessions) => (await run(sessions)).flat() };
}
