import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Express } from 'express';

const require = createRequire(import.meta.url);

/**
 * A GraphQL IDE served from the project's own dependencies (GraphiQL with React's UMD builds), so it
 * works offline and behind firewalls that block CDNs.
 */
export function mountGraphiQL(app: Express, opts: { endpoint: string; assetsPath?: string }) {
  const assets = opts.assetsPath ?? '/graphiql-assets';
  // Package "exports" hide these files from require.resolve; resolve each package's root instead.
  const root = (pkg: string) => dirname(require.resolve(`${pkg}/package.json`));
  const files: Record<string, string> = {
    'react.js': join(root('react'), 'umd/react.production.min.js'),
    'react-dom.js': join(root('react-dom'), 'umd/react-dom.production.min.js'),
    'graphiql.js': join(root('graphiql'), 'graphiql.min.js'),
    'graphiql.css': join(root('graphiql'), 'graphiql.min.css'),
  };
  app.get(`${assets}/:file`, (req, res) => {
    const path = files[req.params.file];
    if (!path) { res.status(404).end(); return; }
    res.setHeader('cache-control', 'public, max-age=86400');
    res.sendFile(path);
  });
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rowline GraphQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${assets}/graphiql.css">
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style></head>
<body><div id="graphiql">Loading the GraphQL IDE…</div>
<script src="${assets}/react.js"></script><script src="${assets}/react-dom.js"></script><script src="${assets}/graphiql.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(opts.endpoint)} });
  const defaultQuery = '# Log in with the demo account printed by \`npm start\`, then put the accessToken\\n# in the Headers tab as {"Authorization": "Bearer <token>"}.\\n\\nmutation LogIn {\\n  logIn(input: {email: "demo@rowline.local", password: "rowline-demo-password"}) {\\n    accessToken\\n    tenant { name slug }\\n  }\\n}\\n';
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher, defaultQuery, shouldPersistHeaders: true }));
</script></body></html>`;
  return (_req: express.Request, res: express.Response) => { res.type('html').send(page); };
}
