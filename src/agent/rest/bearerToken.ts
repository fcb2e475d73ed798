import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

function digest(text: string): Buffer {
  // Hashing first gives equal-length buffers, so the comparison time says nothing about the token.
  return createHash('sha256').update(text).digest();
}

/**
 * An onRequest hook that lets a request through only with `Authorization: Bearer <token>`;
 * anything else gets 401 with a JSON error and a `WWW-Authenticate` challenge (RFC 6750). It runs
 * before the body is read: a stranger learns nothing from how the body is parsed (no 400 first).
 */
export function requireBearerToken(token: string): onRequestAsyncHookHandler {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match && timingSafeEqual(digest(match[1]), expected)) return;
    request.log.warn({ route: request.routeOptions.url, hasAuthorization: header !== undefined }, 'REST request rejected: missing or wrong bearer token');
    // Replying from an async hook: returning the reply tells fastify the request is answered.
    return reply
      .code(401)
      .header('www-authenticate', header === undefined ? 'Bearer realm="contiv-controller"' : 'Bearer realm="contiv-controller", error="invalid_token"')
      .send({ error: header === undefined ? 'missing bearer token' : 'invalid bearer token' });
  };
}
