import type { Express } from 'express';

/** One public endpoint of the gateway, as an unknown path's answer lists it. */
export type Endpoint = { path: string; what: string };

/**
 * What a path no route takes answers. Express's own answer was an HTML page (`Cannot GET /`), while `/files/*`
 * answered `{error: {code, message}}`: every unknown path now answers that JSON, 404 `NOT_FOUND`, with the
 * gateway's real endpoints in `error.endpoints`, so a client that guessed wrong learns where to go. `GET /` from
 * a browser (it prefers HTML to JSON) is sent to the GraphQL IDE on `/graphql` instead: a person typing the
 * gateway's address wants the IDE, not an error. Mount after every route.
 */
export function answerUnknownPaths(app: Express, endpoints: Endpoint[]): void {
  app.get('/', (req, res, next) => (req.accepts(['json', 'html']) === 'html' ? res.redirect(302, '/graphql') : next()));
  const list = endpoints.map((e) => `${e.path} (${e.what})`).join(', ');
  // Express answers OPTIONS on a route's path itself (200, `Allow: GET, HEAD`), but only once every handler has
  // passed it on: answered here, OPTIONS /healthz got 404 "No such endpoint" listing /healthz. So an OPTIONS a route
  // would take goes on to that answer; only one no route takes gets the JSON below.
  const routes = () => (app.router as unknown as { stack: Array<{ route?: unknown; match(path: string): unknown }> }).stack.filter((l) => l.route);
  app.use((req, res, next) => {
    if (req.method === 'OPTIONS' && routes().some((l) => l.match(req.path))) { next(); return; }
    // The path is not echoed, as the files service does not echo it: it may hold a link's token.
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `No such endpoint. The gateway serves ${list}`, endpoints } });
  });
}
