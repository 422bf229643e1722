/**
 * The classify stage inside the real Pipeline, and the per-client recent-navigation memory.
 */
import { describe, expect, test } from 'vitest';
import { classifyStage, RecentPages } from '../../src/classify/index.js';
import { RECENT_WINDOW_MS } from '../../src/classify/attribution.js';
import { Pipeline, type TunnelEvent } from '../../src/pipeline.js';
import { fingerprint, makeObservation } from './helpers.js';

const T = 1_700_000_000_000;
const tunnel = (client: string, host: string, site: string | null, time: number, url: string | null = null): TunnelEvent =>
  ({ client, host, site, url, time });

describe('classifyStage', () => {
  test('sets flow.finding and uses the client\'s recent tunnel', () => {
    const errors: unknown[] = [];
    const pipeline = new Pipeline([classifyStage({ fingerprint })], (...args) => errors.push(args));
    pipeline.tunnel(tunnel('10.0.0.2', 'www.shop.example', 'shop.example', T - 1000));
    pipeline.tunnel(tunnel('10.0.0.3', 'news.example', 'news.example', T - 1000));
    const flow = pipeline.request(makeObservation({ url: 'https://ct.pinterest.com/v3/?tid=1', client: '10.0.0.2', time: T }));
    expect(flow.finding?.page).toEqual({ site: 'shop.example', url: null, attributedBy: 'recent-navigation', confidence: 'low' });
    const other = pipeline.request(makeObservation({ url: 'https://ct.pinterest.com/v3/?tid=1', client: '10.0.0.9', time: T }));
    expect(other.finding?.page.attributedBy).toBe('none');
    expect(errors).toEqual([]);
  });

  test('is named classify and stages keep their own state', () => {
    const a = classifyStage({ fingerprint });
    const b = classifyStage({ fingerprint });
    expect(a.name).toBe('classify');
    a.tunnel?.(tunnel('c', 'shop.example', 'shop.example', T));
    const flow = { observation: makeObservation({ client: 'c', time: T }), finding: null, decision: null };
    b.request?.(flow);
    expect(flow.finding).not.toBeNull();
    expect((flow.finding as unknown as { page: { attributedBy: string } }).page.attributedBy).toBe('none');
  });
});

describe('RecentPages', () => {
  test('keeps the last non-Pinterest site per client', () => {
    const pages = new RecentPages();
    pages.note(tunnel('c', 'a.example', 'a.example', T));
    pages.note(tunnel('c', 'ct.pinterest.com', 'pinterest.com', T + 10));
    pages.note(tunnel('c', '192.168.1.1', null, T + 20));
    expect(pages.get('c', T + 100)?.site).toBe('a.example');
    pages.note(tunnel('c', 'b.example', 'b.example', T + 200, 'http://b.example/page'));
    expect(pages.get('c', T + 300)).toEqual({ site: 'b.example', url: 'http://b.example/page', time: T + 200 });
  });

  test('forgets pages outside the window', () => {
    const pages = new RecentPages();
    pages.note(tunnel('c', 'a.example', 'a.example', T));
    expect(pages.get('c', T + RECENT_WINDOW_MS)).not.toBeNull();
    expect(pages.get('c', T + RECENT_WINDOW_MS + 1)).toBeNull();
  });

  test('is bounded, evicting the least recently updated client', () => {
    const pages = new RecentPages({ maxClients: 3 });
    for (const client of ['a', 'b', 'c']) pages.note(tunnel(client, 'x.example', 'x.example', T));
    pages.note(tunnel('a', 'y.example', 'y.example', T)); // refreshes a
    pages.note(tunnel('d', 'x.example', 'x.example', T)); // evicts b
    expect(pages.size).toBe(3);
    expect(pages.get('b', T)).toBeNull();
    expect(pages.get('a', T)?.site).toBe('y.example');
    const big = new RecentPages();
    for (let i = 0; i < 10_000; i++) big.note(tunnel(`10.0.${i >> 8}.${i & 255}`, 'x.example', 'x.example', T));
    expect(big.size).toBe(1024);
  });
});
