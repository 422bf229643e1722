import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Pipeline } from '../../src/pipeline.js';
import { LiveFeed, liveStage, type LiveEvent, type LiveSink } from '../../src/web/live.js';
import { makeFlow } from '../helpers/findings.js';
import { seededDashboard, XSS_URL, type TestDashboard } from './seed.js';

const summary = (n: number): Omit<LiveEvent, 'seq'> => ({
  time: n, host: 'ct.pinterest.com', path: '/v3/', site: 'shop.example', pageUrl: `https://shop.example/${n}`, category: 'tag', thirdParty: true,
  leakLevel: 'full-url', decision: 'allow', decisionReason: 'off', outcome: 'response', status: 200, identifiers: 1, loggedIn: false, hashedEmail: false,
});
const sink = (events: LiveEvent[], ok = true): LiveSink & { closed: boolean } => {
  const s = { closed: false, send: (e: LiveEvent) => (events.push(e), ok), close: () => void (s.closed = true) };
  return s;
};

describe('LiveFeed', () => {
  test('fans out with sequence numbers and keeps a bounded backlog', () => {
    const feed = new LiveFeed({ backlog: 3 });
    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    feed.subscribe(sink(a));
    const unsubscribe = feed.subscribe(sink(b))!;
    feed.publish(summary(1));
    unsubscribe();
    for (let i = 2; i <= 5; i++) feed.publish(summary(i));
    expect(a.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(b.map((e) => e.seq)).toEqual([1]);
    expect(feed.recent().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(feed.recent(4).map((e) => e.seq)).toEqual([5]);
  });

  test('drops a full or throwing subscriber and refuses past the bound', () => {
    const feed = new LiveFeed({ maxSubscribers: 2 });
    const slow = sink([], false);
    feed.subscribe(slow);
    feed.subscribe({ send: () => { throw new Error('broken'); }, close: () => undefined });
    expect(feed.subscribe(sink([]))).toBeNull();
    feed.publish(summary(1));
    expect(slow.closed).toBe(true);
    expect(feed.size).toBe(0);
    expect(feed.subscribe(sink([]))).not.toBeNull();
  });

  test('liveStage publishes completed Pinterest flows only', () => {
    const feed = new LiveFeed();
    const events: LiveEvent[] = [];
    feed.subscribe(sink(events));
    const pipeline = new Pipeline([liveStage(feed)], (s, h, id, err) => { throw err; });
    const flow = pipeline.request(makeFlow().observation);
    Object.assign(flow, makeFlow({ decision: { action: 'block', reason: 'all mode', stripped: [] } }));
    pipeline.complete(flow, { kind: 'blocked', status: 204 });
    const other = makeFlow({ finding: { pinterest: false } });
    pipeline.complete(other, { kind: 'response', status: 200, bytes: 1 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      host: 'ct.pinterest.com', path: '/v3/?tid=2612345678901&event=pagevisit', site: 'shop.example', pageUrl: 'https://shop.example/products/42',
      category: 'tag', decision: 'block', outcome: 'blocked', status: 204, identifiers: 1, thirdParty: true, leakLevel: 'full-url',
    });
  });
});

describe('/api/live over a real socket', () => {
  let d: TestDashboard;
  let port: number;
  beforeAll(async () => {
    d = await seededDashboard({ empty: true });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    port = (d.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await d.close();
  });

  /** Opens the stream and collects `data:` payloads until `n` arrive. */
  function read(n: number, headers: Record<string, string> = {}): Promise<{ events: LiveEvent[]; status: number; type: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/live', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
        const events: LiveEvent[] = [];
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (data) events.push(JSON.parse(data.slice(6)) as LiveEvent);
          }
          if (events.length >= n) {
            req.destroy();
            resolve({ events, status: res.statusCode ?? 0, type: res.headers['content-type'] });
          }
        });
      });
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      setTimeout(() => reject(new Error('timed out')), 3000).unref();
    });
  }

  test('replays the backlog after Last-Event-ID, then streams new events', async () => {
    d.live.publish(summary(1));
    d.live.publish({ ...summary(2), pageUrl: XSS_URL });
    const pending = read(2, { 'last-event-id': '1' });
    await new Promise((r) => setTimeout(r, 100));
    expect(d.live.size).toBe(1);
    d.live.publish(summary(3));
    const { events, status, type } = await pending;
    expect(status).toBe(200);
    expect(type).toBe('text/event-stream; charset=utf-8');
    expect(events.map((e) => e.seq)).toEqual([2, 3]);
    expect(events[0]?.pageUrl).toBe(XSS_URL);
    await new Promise((r) => setTimeout(r, 100));
    expect(d.live.size).toBe(0);
  });

  test('a foreign Host cannot subscribe', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/api/live', headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(403);
  });
});
