import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { CLIENT_ADDRESS_HEADER, INTERNAL_TOKEN_HEADER, type Logger } from '@rowline/kit';

/**
 * Headers of one hop, not passed on. `expect`: curl sends `Expect: 100-continue` with every body over 1 MB, which
 * this server answers itself; passed on, fetch refused the whole request ("expect header not supported") and an
 * upload of any real workbook by curl failed with 502.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect', 'te', 'trailer', 'proxy-connection', 'proxy-authorization']);
/** Headers only the platform itself may set; a client's copy is dropped, never forwarded. */
const INTERNAL = new Set([INTERNAL_TOKEN_HEADER, CLIENT_ADDRESS_HEADER, 'authorization', 'cookie']);

/**
 * Forwards `/files/*` (signed upload and download links) to the files service, streaming both ways, so
 * clients need one public address. The links carry their own signed tokens; the gateway adds nothing.
 */
export function filesProxy(filesUrl: string, logger?: Logger) {
  return async (req: Request, res: Response) => {
    const target = new URL(req.originalUrl, filesUrl);
    // URL parsing resolves `..` and `%2e%2e`: without this check `/files/../metrics` (or `/internal/...`,
    // `/graphql`) would reach routes of the files service that only the cluster may call.
    if (!target.pathname.startsWith('/files/')) {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Not found' } });
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !HOP_BY_HOP.has(name) && !INTERNAL.has(name)) headers.set(name, value);
    }
    if (req.headers['content-length']) headers.set('content-length', req.headers['content-length']);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    try {
      const upstream = await fetch(target, {
        method: req.method, headers, redirect: 'manual',
        ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
      } as RequestInit);
      res.status(upstream.status);
      // Nor its Content-Encoding: fetch has decoded the body, so the label would tell the client to decode it again.
      upstream.headers.forEach((value, name) => { if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') res.setHeader(name, value); });
      // The body goes on byte for byte, so its length does too: without it a download went out chunked, and a
      // client could neither show progress nor tell a cut-off file from a whole one. Not for an encoded body:
      // fetch decodes it, and the length would be the encoded one's (the files service encodes none today).
      const length = upstream.headers.get('content-length');
      if (length !== null && !upstream.headers.has('content-encoding')) res.setHeader('content-length', length);
      // pipeline, not pipe: a files service that dies mid-body errors the stream, which `pipe` left unhandled (an
      // uncaught exception: the whole gateway went down). The client's response is cut short instead (catch
      // below), so with the Content-Length passed on it sees a short body, never a whole-looking partial file.
      if (upstream.body) await pipeline(Readable.fromWeb(upstream.body as never), res);
      else res.end();
    } catch (err) {
      // A client that went away mid-download is not the proxy's failure: nothing worth a warning.
      const clientLeft = res.headersSent && (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE';
      if (!clientLeft) logger?.warn({ err, requestId: req.headers['x-request-id'], path: target.pathname.split('/').slice(0, 3).join('/') }, 'the files proxy could not forward a request');
      if (!res.headersSent) res.status(502).json({ error: { code: 'UNAVAILABLE', message: 'The files service did not answer' } });
      else res.destroy();
    }
  };
}
