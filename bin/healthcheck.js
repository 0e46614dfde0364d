#!/usr/bin/env node
// The Docker image's HEALTHCHECK (the slim image has no curl): GET /healthz of the backend in this container, on
// DSIEM_PORT (default 8080) of DSIEM_ADDRESS (an any-address means loopback). Exit 0 healthy, 1 not. With
// DSIEM_PORT=0 the backend has no HTTP server: there is nothing to ask, and the check passes.
import { get } from 'node:http';

const port = Number(process.env.DSIEM_PORT ?? '8080');
if (port === 0) process.exit(0);
const address = (process.env.DSIEM_ADDRESS ?? '').trim();
const host = address === '' || address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
const request = get({ host, port, path: '/healthz', timeout: 3000 }, (response) => {
  response.resume();
  if (response.statusCode !== 200) console.error(`healthcheck: GET http://${host}:${port}/healthz answered ${response.statusCode}`);
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('no answer within 3 s')));
request.on('error', (err) => {
  console.error(`healthcheck: GET http://${host}:${port}/healthz: ${err.message}`);
  process.exit(1);
});
