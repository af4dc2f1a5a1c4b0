import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from './problems.ts';

const RETRY_AFTER_SECONDS = 2;

/**
 * When the event loop falls behind (more requests than one process can serve), new requests get a 503
 * at once instead of joining a queue that only grows. Health probes still answer: the process is alive,
 * and a restart would not help.
 */
export const overloadShedding = fp(
  async (app: FastifyInstance) => {
    const maxDelay = app.config.overloadMaxEventLoopDelayMs;
    if (maxDelay === 0) return;
    const sampleInterval = 500;
    // Start-up work (migrations, seeding) blocks the loop before the first request can arrive; shedding
    // starts once samples taken after it have come in.
    let armedAt = Number.POSITIVE_INFINITY;
    app.addHook('onReady', async () => {
      armedAt = Date.now() + 2 * sampleInterval;
    });
    await app.register(underPressure, {
      maxEventLoopDelay: maxDelay,
      sampleInterval,
      pressureHandler: async (request) => {
        if (Date.now() < armedAt || request.url.startsWith('/health/')) return;
        throw new Problem(
          503,
          'overloaded',
          'Service Unavailable',
          'The server is busier than it can serve right now; retry shortly.',
          {},
          { 'retry-after': String(RETRY_AFTER_SECONDS) },
        );
      },
    });
  },
  { name: 'overload-shedding', dependencies: ['error-handler'] },
);

/**
 * While the server shuts down, requests still arriving on kept-alive connections get a 503 problem that
 * closes the connection, so the client (or its load balancer) retries on another instance.
 */
export const drainOnClose = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    // Responses finishing during the shutdown close their connection: a kept-alive one would hold the
    // server open until the client let go of it.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
    app.addHook('onRequest', (_request, _reply, done) => {
      if (!closing) return done();
      const problem = new Problem(
        503,
        'shutting-down',
        'Service Unavailable',
        'This instance is shutting down; retry on another.',
        {},
        { 'retry-after': '1', connection: 'close' },
      );
      done(problem);
    });
  },
  { name: 'drain-on-close', dependencies: ['error-handler'] },
);
