import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { LogAck, Message, SaverService } from '../../shared/contracts/saver';
import type { Service } from '../../shared/lifecycle/lifecycle';
import { makeMessage, type SaverFactory } from './saver.contract';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A broadcast ('' log) or topic message. */
export function makeLogMessage(app: string, log: string, over: Partial<Message> = {}): Message {
  return makeMessage(app, log === '' ? { kind: 'broadcast', ...over } : { kind: 'topic', topic: log, ...over });
}

/** The broadcast/topic log and scheduled-status part of the SaverService contract. */
export function describeSaverLogs(name: string, factory: SaverFactory): void {
  describe(`saver log contract: ${name}`, () => {
    let saver: SaverService & Service;
    before(async () => {
      saver = await factory({ maxAttempts: 3 });
    });
    after(async () => {
      await saver.stop();
    });
    const freshApp = (): string => `app${randomBytes(3).toString('hex')}`;
    const ids = (entries: { message: Message }[]): string[] => entries.map((e) => e.message.id);

    test('seq starts at 1 and increments per log; logs are independent', async () => {
      const app = freshApp();
      const b = [makeLogMessage(app, ''), makeLogMessage(app, ''), makeLogMessage(app, '')];
      const t = [makeLogMessage(app, 'news'), makeLogMessage(app, 'news')];
      const seqs = [];
      for (const m of [b[0], t[0], b[1], t[1], b[2]]) seqs.push(await saver.appendLog(m));
      assert.deepEqual(seqs, [1, 1, 2, 2, 3]);
      assert.equal(await saver.appendLog(makeLogMessage(freshApp(), '')), 1, 'another app has its own log');
      const concurrent = await Promise.all(Array.from({ length: 20 }, () => saver.appendLog(makeLogMessage(app, 'c'))));
      assert.deepEqual([...concurrent].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1), 'atomic under concurrency');
      const all = await saver.logSince(app, 'dev', ['', 'news']);
      assert.deepEqual(all.map((e) => [e.log, e.seq]), [['', 1], ['', 2], ['', 3], ['news', 1], ['news', 2]]);
      assert.deepEqual(ids(all), [b[0].id, b[1].id, b[2].id, t[0].id, t[1].id]);
      assert.deepEqual(Buffer.from(all[3].message.payload), Buffer.from(t[0].payload));
      assert.deepEqual([all[3].message.kind, all[3].message.topic, all[0].message.topic], ['topic', 'news', undefined]);
      assert.deepEqual(await saver.logSince(app, 'dev', ['nothing-here']), []);
    });

    test('logSince: after the watermark, limit per log, expired entries skipped', async () => {
      const app = freshApp();
      const short = makeLogMessage(app, '', { expires: Date.now() + 300 });
      const ms = [makeLogMessage(app, ''), short, makeLogMessage(app, ''), makeLogMessage(app, ''), makeLogMessage(app, '')];
      for (const m of ms) await saver.appendLog(m);
      const t1 = makeLogMessage(app, 't');
      await saver.appendLog(t1);
      assert.deepEqual(ids(await saver.logSince(app, 'd', ['', 't'], 2)), [ms[0].id, ms[1].id, t1.id]);
      await saver.ackLog([{ app, device: 'd', log: '', seq: 1, id: ms[0].id }]);
      assert.deepEqual(ids(await saver.logSince(app, 'd', [''])), ms.slice(1).map((m) => m.id));
      assert.deepEqual(ids(await saver.logSince(app, 'other', [''], 1)), [ms[0].id], 'no watermark: from the start');
      await sleep(400);
      assert.deepEqual(ids(await saver.logSince(app, 'd', [''], 2)), [ms[2].id, ms[3].id], 'the expired entry is skipped');
      assert.equal((await saver.status(app, short.id))?.state, 'expired');
      assert.equal((await saver.status(app, ms[2].id))?.state, 'pending');
    });

    test('ackLog never moves a watermark back and counts each ack once', async () => {
      const app = freshApp();
      const ms = [makeLogMessage(app, 'x'), makeLogMessage(app, 'x'), makeLogMessage(app, 'x')];
      for (const m of ms) await saver.appendLog(m);
      const ack = (device: string, i: number): LogAck => ({ app, device, log: 'x', seq: i + 1, id: ms[i].id });
      await saver.ackLog([ack('a', 1), ack('a', 1), ack('b', 1)]);
      await saver.ackLog([ack('a', 0), ack('a', 1)]);
      assert.deepEqual(ids(await saver.logSince(app, 'a', ['x'])), [ms[2].id], 'not moved back by seq 1');
      assert.equal((await saver.status(app, ms[1].id))?.acked, 2, 'duplicate acks of a and a late ack count once');
      assert.equal((await saver.status(app, ms[0].id))?.acked, 0, 'an ack below the watermark does not count');
      await saver.ackLog([{ app, device: 'a', log: 'x', seq: 99, id: ms[2].id }, { app, device: 'a', log: 'x', seq: 3, id: ms[0].id }]);
      assert.deepEqual(ids(await saver.logSince(app, 'a', ['x'])), [ms[2].id], 'an ack of an unknown seq/id is ignored');
      await saver.ackLog([ack('a', 2)]);
      assert.deepEqual(await saver.logSince(app, 'a', ['x']), []);
      const s = await saver.status(app, ms[2].id);
      assert.deepEqual([s?.kind, s?.state, s?.targets, s?.acked], ['topic', 'pending', 0, 1]);
    });

    test('countLogDelivered and attempt() count deliveries of log messages', async () => {
      const app = freshApp();
      const m = makeLogMessage(app, '');
      await saver.appendLog(m);
      await saver.countLogDelivered([{ app, id: m.id, delivered: 5 }, { app, id: 'unknown', delivered: 3 }]);
      await saver.countLogDelivered([{ app, id: m.id, delivered: 2 }]);
      assert.deepEqual(await saver.attempt([{ app, device: 'p1', id: m.id }, { app, device: 'p2', id: m.id }]), [true, true]);
      const s = await saver.status(app, m.id);
      assert.deepEqual([s?.kind, s?.qos, s?.state, s?.targets, s?.delivered, s?.acked], ['broadcast', 1, 'pending', 0, 9, 0]);
      assert.equal(await saver.status(app, 'unknown'), undefined);
    });

    test('scheduled -> cancelled; a second cancel and unknown ids answer false', async () => {
      const app = freshApp();
      const m = makeMessage(app);
      await saver.markScheduled(m, Date.now() + 60_000);
      const s = await saver.status(app, m.id);
      assert.deepEqual([s?.state, s?.targets, s?.kind], ['scheduled', 0, 'unicast']);
      assert.deepEqual(await saver.attempt([{ app, device: 'd', id: m.id }]), [false]);
      assert.equal(await saver.markCancelled(app, m.id), true);
      assert.equal((await saver.status(app, m.id))?.state, 'cancelled');
      assert.equal(await saver.markCancelled(app, m.id), false);
      assert.equal(await saver.markCancelled(app, 'never-scheduled'), false);
    });

    test('scheduled then store / appendLog -> the normal status', async () => {
      const app = freshApp();
      const m = makeMessage(app);
      await saver.markScheduled(m, Date.now() + 1000);
      await saver.store(m, [{ app, device: 'd1' }, { app, device: 'd2' }]);
      let s = await saver.status(app, m.id);
      assert.deepEqual([s?.state, s?.targets], ['pending', 2]);
      assert.equal(await saver.markCancelled(app, m.id), false, 'too late to cancel');
      assert.deepEqual((await saver.pending(app, 'd1')).map((x) => x.id), [m.id]);
      const b = makeLogMessage(app, '');
      await saver.markScheduled(b, Date.now() + 1000);
      assert.equal(await saver.appendLog(b), 1);
      s = await saver.status(app, b.id);
      assert.deepEqual([s?.state, s?.kind], ['pending', 'broadcast']);
      await saver.markScheduled(b, Date.now() + 1000);
      assert.equal((await saver.status(app, b.id))?.state, 'pending', 'a repeated markScheduled does not hide a fired push');
    });

    test('bad log input is rejected with a clear error', async () => {
      const app = freshApp();
      await assert.rejects(saver.appendLog(makeMessage(app)), /kind/);
      await assert.rejects(saver.appendLog(makeMessage(app, { kind: 'topic' })), /topic/);
      await assert.rejects(saver.appendLog(makeLogMessage(app, '', { qos: 0 })), /qos 1/);
      await assert.rejects(saver.logSince(app, 'd', 'x' as never), /logs/);
      await assert.rejects(saver.ackLog([{ app, device: 'd', log: '', seq: 0, id: 'x' }]), /seq/);
      await assert.rejects(saver.ackLog([{ app, device: 'd', log: 5 as never, seq: 1, id: 'x' }]), /log/);
      await assert.rejects(saver.countLogDelivered([{ app, id: 'x', delivered: -1 }]), /delivered/);
      await assert.rejects(saver.markScheduled(makeMessage(app), -5), /sendAt/);
      await assert.rejects(saver.markCancelled('', 'x'), /app/);
    });
  });
}
