import type { Express } from 'express';
import { AppError, notFound, sendError, type Logger } from '@rowline/kit';

type RouteLayer = { route?: { path: string; _methods(): string[] } };

/**
 * Express answers a method or path it has no route for with an HTML page ("Cannot POST ..."); clients of
 * these routes read `{error: {code, message}}`. Another method on a known path gets 405
 * `METHOD_NOT_ALLOWED` with `Allow` (taken from the routes themselves, so it cannot drift from them); any
 * other path under `prefixes` gets 404 `NOT_FOUND`. Call after every route is mounted: paths outside
 * `prefixes` (GraphQL, mounted later) are left alone.
 */
export function answerUnmatchedInJson(app: Express, prefixes: string[], logger: Logger): void {
  const allowed = new Map<string, string[]>();
  for (const layer of app.router.stack as RouteLayer[]) {
    const route = layer.route;
    if (route && prefixes.some((p) => route.path.startsWith(`${p}/`))) {
      allowed.set(route.path, [...new Set([...(allowed.get(route.path) ?? []), ...route._methods()])]);
    }
  }
  for (const [path, methods] of allowed) {
    app.all(path, (req, res, next) => {
      res.setHeader('allow', methods.join(', '));
      // Answered here: Express's own OPTIONS answer comes only after every handler, the 404 below included.
      if (req.method === 'OPTIONS') { res.status(204).end(); return; }
      sendError(res, new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${methods.join(' or ')}`, { allow: methods }), logger);
    });
  }
  for (const prefix of prefixes) {
    // The path is not echoed: it may hold a link's token.
    app.use(prefix, (_req, res) => { sendError(res, notFound('This endpoint'), logger); });
  }
}
