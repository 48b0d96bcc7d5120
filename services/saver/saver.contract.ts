import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Message, SaverService } from '../../shared/contracts/saver';
import type { Service } from '../../shared/lifecycle/lifecycle';

/** Makes a started saver with the given overrides (maxAttempts is 3 in this suite). */
export type SaverFactory = (overrides: { maxAttempts: number }) => Promise<SaverService & Service>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let seq = 0;
/** A fresh message id; created increases so ordering is deterministic. */
export function makeMessage(app: string, over: Partial<Message> = {}): Message {
  const now = Date.now();
  seq++;
  return {
    id: `m${seq}-${randomBytes(3).toString('hex')}`,
    app,
    kind: 'unicast',
    payload: new TextEncoder().encode(`payload ${seq}`),
    created: now + seq,
    expires: now + 60_000,
    qos: 1,
    ...over,
  };
}

/** The SaverService contract, run against every driver. */
export function describeSaver(name: string, factory: SaverFactory): void {
  describe(`saver contract: ${name}`, () => {
    let saver: SaverService & Service;
    const app = `app${randomBytes(2).toString('hex')}`;
    const dev = (d: string): { app: string; device: string } => ({ app, device: d });

    before(async () => {
      saver = await factory({ maxAttempts: 3 });
    });
    after(async () => {
      await saver.stop();
    });

    test('store, pending oldest first, ack removes', async () => {
      const a = makeMessage(app);
      const b = makeMessage(app, { topic: 'news', kind: 'topic' });
      await saver.store(b, [dev('d1')]);
      await saver.store(a, [dev('d1')]);
      const got = await saver.pending(app, 'd1');
      assert.deepEqual(got.map((m) => m.id), [a.id, b.id]);
      assert.deepEqual(Buffer.from(got[1].payload), Buffer.from(b.payload));
      assert.equal(got[1].topic, 'news');
      assert.equal(got[1].kind, 'topic');
      assert.equal(got[0].expires, a.expires);
      assert.equal((await saver.pending(app, 'd1', 1)).length, 1);
      assert.equal(await saver.ack([{ ...dev('d1'), id: a.id }]), 1);
      assert.deepEqual((await saver.pending(app, 'd1')).map((m) => m.id), [b.id]);
    });

    test('multiple targets each get their own inbox entry', async () => {
      const m = makeMessage(app);
      await saver.store(m, [dev('t1'), dev('t2'), dev('t3')]);
      for (const d of ['t1', 't2', 't3']) assert.deepEqual((await saver.pending(app, d)).map((x) => x.id), [m.id]);
      assert.equal(await saver.ack([{ ...dev('t2'), id: m.id }]), 1);
      assert.equal((await saver.pending(app, 't2')).length, 0);
      assert.equal((await saver.pending(app, 't1')).length, 1);
      assert.equal((await saver.pending(app, 'nobody')).length, 0);
    });

    test('status counts through the life of a message', async () => {
      const m = makeMessage(app);
      await saver.store(m, [dev('s1'), dev('s2')]);
      let s = await saver.status(app, m.id);
      assert.ok(s);
      assert.deepEqual([s.state, s.targets, s.delivered, s.acked, s.deadLettered], ['pending', 2, 0, 0, 0]);
      assert.deepEqual(await saver.attempt([{ ...dev('s1'), id: m.id }, { ...dev('s1'), id: m.id }]), [true, true]);
      s = await saver.status(app, m.id);
      assert.equal(s?.delivered, 1, 'a second attempt to the same target is not a new delivery');
      assert.equal(await saver.ack([{ ...dev('s1'), id: m.id }]), 1);
      assert.deepEqual(await saver.attempt([{ ...dev('s2'), id: m.id }]), [true]);
      s = await saver.status(app, m.id);
      assert.deepEqual([s?.state, s?.delivered, s?.acked], ['pending', 2, 1]);
      assert.equal(await saver.ack([{ ...dev('s2'), id: m.id }]), 1);
      s = await saver.status(app, m.id);
      assert.deepEqual([s?.state, s?.acked, s?.kind, s?.qos, s?.created], ['done', 2, 'unicast', 1, m.created]);
      assert.equal(await saver.status(app, 'no-such-id'), undefined);
    });

    test('expired messages are not pending and not delivered', async () => {
      const m = makeMessage(app, { expires: Date.now() + 300 });
      await saver.store(m, [dev('e1'), dev('e2')]);
      assert.equal((await saver.pending(app, 'e1')).length, 1);
      await sleep(400);
      assert.equal((await saver.pending(app, 'e1')).length, 0);
      assert.deepEqual(await saver.attempt([{ ...dev('e2'), id: m.id }]), [false]);
      assert.equal((await saver.status(app, m.id))?.state, 'expired');
    });

    test('dead-lettered after maxAttempts deliveries without an ack', async () => {
      const m = makeMessage(app);
      const d = { ...dev('dl1'), id: m.id };
      await saver.store(m, [dev('dl1'), dev('dl2')]);
      assert.deepEqual(await saver.attempt([d, d, d]), [true, true, true]);
      assert.deepEqual(await saver.attempt([d]), [false]);
      assert.deepEqual(await saver.attempt([d]), [false]);
      assert.equal((await saver.pending(app, 'dl1')).length, 0);
      assert.equal(await saver.ack([d]), 0, 'an ack after the dead letter counts nothing');
      const letters = await saver.deadLetters(app, 10);
      const mine = letters.find((l) => l.id === m.id);
      assert.ok(mine, 'dead letter listed');
      assert.deepEqual([mine.device, mine.attempts], ['dl1', 3]);
      assert.ok(mine.at > 0);
      const s = await saver.status(app, m.id);
      assert.deepEqual([s?.state, s?.deadLettered, s?.delivered], ['pending', 1, 1]);
      assert.equal(await saver.ack([{ ...dev('dl2'), id: m.id }]), 1);
      assert.equal((await saver.status(app, m.id))?.state, 'done');
    });

    test('duplicate and unknown acks are ignored', async () => {
      const m = makeMessage(app);
      const d = { ...dev('dup'), id: m.id };
      await saver.store(m, [dev('dup')]);
      assert.equal(await saver.ack([d, d]), 1);
      assert.equal(await saver.ack([d]), 0);
      assert.equal(await saver.ack([{ ...dev('dup'), id: 'unknown' }, { app: 'other', device: 'x', id: m.id }]), 0);
      assert.equal((await saver.status(app, m.id))?.acked, 1);
      assert.deepEqual(await saver.attempt([d, { ...dev('dup'), id: 'unknown' }]), [false, false]);
    });

    test('qos 0 and online-only messages are counted, not stored', async () => {
      const q0 = makeMessage(app, { qos: 0 });
      const ttl0 = makeMessage(app, { expires: 0 });
      await saver.store(q0, [dev('o1'), dev('o2')]);
      await saver.store(ttl0, [dev('o1')]);
      assert.equal((await saver.pending(app, 'o1')).length, 0);
      assert.deepEqual(await saver.attempt([{ ...dev('o1'), id: q0.id }, { ...dev('o1'), id: ttl0.id }]), [true, true]);
      const s = await saver.status(app, q0.id);
      assert.deepEqual([s?.state, s?.targets, s?.delivered, s?.qos], ['done', 2, 1, 0]);
      assert.equal((await saver.status(app, ttl0.id))?.state, 'done');
    });

    test('bad input is rejected with a clear error', async () => {
      await assert.rejects(saver.store({ ...makeMessage(app), qos: 2 as 1 }, [dev('x')]), /qos/);
      await assert.rejects(saver.store(makeMessage(app), [{ app: 'other', device: 'x' }]), /target/);
      await assert.rejects(saver.pending(app, ''), /device/);
      await assert.rejects(saver.ack([{ app, device: 'x' } as never]), /id/);
      await assert.rejects(saver.attempt('nope' as never), /array/);
    });
  });
}
