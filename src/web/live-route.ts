/**
 * `/api/live`: the live feed as server-sent events. Each event is one JSON {@link LiveEvent} with
 * its sequence number as the SSE id, so a reconnecting EventSource (which sends Last-Event-ID)
 * gets only what it missed from the backlog. A stream whose socket buffer grows past a bound (the
 * tab stopped reading) is closed; the browser reconnects by itself when it can read again.
 */
import type { FastifyInstance } from 'fastify';
import { SECURITY_HEADERS } from './security.js';
import type { LiveEvent, LiveFeed } from './live.js';

/** Bytes a stream may have queued before it is considered too slow and dropped. */
const MAX_BUFFERED = 256 * 1024;
const HEARTBEAT_MS = 15_000;

/** Registers GET /api/live. */
export function registerLiveRoute(app: FastifyInstance, feed: LiveFeed): void {
  // Open streams of this app, ended when it closes (they would otherwise hold the server open).
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const cleanup of [...open]) cleanup();
  });
  app.get('/api/live', (req, reply) => {
    const last = Number(req.headers['last-event-id'] ?? (req.query as { after?: string }).after ?? 0);
    const res = reply.raw;
    const write = (event: LiveEvent): boolean => {
      if (res.destroyed || res.writableEnded) return false;
      res.write(`id: ${event.seq}\nevent: flow\ndata: ${JSON.stringify(event)}\n\n`);
      return res.writableLength <= MAX_BUFFERED;
    };
    let heartbeat: NodeJS.Timeout | null = null;
    const end = (): void => {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      if (!res.writableEnded) res.end();
    };
    const unsubscribe = feed.subscribe({ send: write, close: end });
    if (unsubscribe === null) {
      reply.code(503).header('retry-after', '5').send({ error: { code: 'BUSY', message: 'too many live views are open' } });
      return reply;
    }
    reply.hijack();
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Retry quickly after a drop, then replay what this client has not seen.
    res.write('retry: 1000\n\n');
    for (const event of feed.recent(Number.isFinite(last) ? last : 0)) if (!write(event)) break;
    heartbeat = setInterval(() => {
      if (!res.writableEnded) res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const cleanup = (): void => {
      open.delete(cleanup);
      unsubscribe();
      end();
    };
    open.add(cleanup);
    req.raw.once('close', cleanup);
    res.once('close', cleanup);
    return reply;
  });
}
