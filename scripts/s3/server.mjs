#!/usr/bin/env node
// A real S3-compatible server (S3Proxy from Maven Central, filesystem backend) on the local JVM, for tests
// and development.
//
//   node scripts/s3/server.mjs provision   download the S3Proxy jar into the cache (reused when present)
//   node scripts/s3/server.mjs start       provision, then run S3Proxy on 127.0.0.1 and a free port until
//                                          Ctrl-C; prints the S3_* variables to use it
//     --json                 print one JSON line {"endpoint", "region", "accessKeyId", ...} instead (for programs)
//     --until-stdin-closes   also stop when stdin closes: a parent that dies, even by SIGKILL, takes the
//                            server with it
import { runServerCli } from '../server-cli.mjs';
import { findJava, provision, S3PROXY_VERSION } from './provision.mjs';
import { startS3Proxy } from './run.mjs';

runServerCli({
  tag: 's3',
  usage: 'node scripts/s3/server.mjs',
  provision: (log) => `S3Proxy ${S3PROXY_VERSION} ready in ${provision({ log })}`,
  async start(log) {
    const server = await startS3Proxy({ java: findJava(), jar: provision({ log }) });
    const { endpoint, region, accessKeyId, secretAccessKey } = server;
    return {
      server,
      started: `S3Proxy ${S3PROXY_VERSION} started at ${endpoint}`,
      env: { S3_ENDPOINT: endpoint, S3_REGION: region, S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey },
      json: { endpoint, region, accessKeyId, secretAccessKey, version: S3PROXY_VERSION, pid: server.pid },
    };
  },
});
