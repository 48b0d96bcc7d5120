import type { Session } from '../../shared/contracts/register';
import type { RoomKick, RoomReply } from '../../shared/contracts/room';
import { encodeServerFrame } from '../../shared/protocol/codec';
import { CloseCode } from '../../shared/protocol/codes';
import { closeConn, connById, Phase, sendFrame, writeFrame, type RoomContext } from './context';
import { endGrace } from './resume';
import { OfflineReason } from './status';

/** Longest Reply message and close reason passed on (a close reason must fit 123 bytes). */
const MAX_MESSAGE = 1024;
const MAX_REASON = 40;

function isUint32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** RoomService.reply: a Reply with the request's seq to each connection still open; answers how many. */
export function replyBatch(ctx: RoomContext, batch: RoomReply[]): number {
  if (!Array.isArray(batch)) throw new TypeError('reply: batch must be an array');
  let sent = 0;
  for (const r of batch) {
    const state = r && typeof r.connId === 'string' ? ctx.conns.get(r.connId) : undefined;
    if (!state || state.phase !== Phase.Ready || !isUint32(r.seq) || !isUint32(r.code)) continue;
    const message = typeof r.message === 'string' ? r.message.slice(0, MAX_MESSAGE) : '';
    const payload = r.payload instanceof Uint8Array ? r.payload : undefined;
    sendFrame(ctx, state, { seq: r.seq, reply: { code: r.code, message, payload } }, 'reply');
    sent++;
  }
  return sent;
}

/** A kick's close code: a 4xxx code as asked, else Kicked. */
function kickCode(code: unknown): number {
  return typeof code === 'number' && Number.isInteger(code) && code >= 4000 && code <= 4999 ? code : CloseCode.Kicked;
}

/**
 * RoomService.kick: a Kick frame {code, reason}, then close with the code (no grace). A kick
 * aimed at a session in its grace period ends it: quietly when Replaced (the device registered
 * elsewhere), else unregistered and reported offline. A kick aimed at the old id of a session
 * that resumed on a new connection closes that one. (Replies are not redirected like that: the
 * client failed the old connection's requests, and their seqs may be taken on the new one.)
 * Answers how many connections were open.
 */
export function kickBatch(ctx: RoomContext, batch: RoomKick[]): number {
  if (!Array.isArray(batch)) throw new TypeError('kick: batch must be an array');
  let kicked = 0;
  for (const k of batch) {
    if (!k || typeof k.connId !== 'string') continue;
    const code = kickCode(k.code);
    const reason = typeof k.reason === 'string' ? k.reason.slice(0, MAX_REASON) : '';
    const state = connById(ctx, k.connId);
    const ws = state?.ws;
    if (state && ws && state.phase !== Phase.Closed) {
      state.closeReason = code === CloseCode.Replaced ? OfflineReason.Replaced : OfflineReason.Kicked;
      const bytes = encodeServerFrame({ kick: { code, reason } });
      ws.cork(() => writeFrame(ctx, state, bytes, 'kick'));
      closeConn(state, code, reason || state.closeReason);
      kicked++;
      continue;
    }
    const entry = ctx.grace.byConn(k.connId);
    if (!entry) continue;
    ctx.grace.drop(entry);
    if (code !== CloseCode.Replaced) endGrace(ctx, entry, OfflineReason.Kicked);
  }
  ctx.metrics.kicks.inc(kicked);
  return kicked;
}

/** Every live session of the room: authenticated connections and sessions in their grace period. */
function liveSessions(ctx: RoomContext): Session[] {
  const since = Date.now();
  const out: Session[] = [];
  for (const state of ctx.conns.values()) {
    if (state.phase !== Phase.Ready) continue;
    const platform = state.platform || undefined;
    for (const b of state.bindings) {
      out.push({ app: b.app, device: b.device, user: b.user, roomId: ctx.roomId, connId: state.id, since, platform, network: state.network });
    }
  }
  for (const e of ctx.grace.entries()) {
    for (const b of e.bindings) out.push({ app: b.app, device: b.device, user: b.user, roomId: ctx.roomId, connId: e.connId, since });
  }
  return out;
}

/** RoomService.reflush: registers every live session again, reflushBatch per register call; answers how many. */
export async function reflushSessions(ctx: RoomContext): Promise<number> {
  const sessions = liveSessions(ctx);
  const size = ctx.config.reflushBatch;
  for (let i = 0; i < sessions.length; i += size) await ctx.register.register(sessions.slice(i, i + size));
  ctx.log.info('sessions registered again', { sessions: sessions.length });
  return sessions.length;
}
