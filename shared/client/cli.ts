#!/usr/bin/env node
// Example client (README quickstart): connects, prints every push as one JSON line on stdout
// (payload decoded as UTF-8), acks it, and reports connection events on stderr.
//   node dist/shared/client/cli.js --dispatch http://127.0.0.1:8081 --app demo --device d1 --token <jwt> [--manual-ack]
//   node dist/shared/client/cli.js --url ws://127.0.0.1:8080/ws --token <jwt>
import { parseArgs } from 'node:util';
import { createNodeClient, type ClientOptions, type HeraldClient, type NetworkName, type PushMessage } from './node';

const USAGE = `usage: herald-client (--dispatch <http url> | --url <ws url>...) --token <jwt>... [options]
  --dispatch URL     dispatcher base URL (GET {URL}/v1/dispatch)
  --url URL          a room WebSocket URL instead of --dispatch (repeatable)
  --token JWT        one token per app (repeatable)
  --app APP          app for dispatch (default: the first token's app)
  --device ID        device id for dispatch (default: the first token's sub)
  --network NAME     wifi | cellular | ethernet | unknown
  --platform NAME    platform sent in Auth (default: node)
  --manual-ack       ack each push explicitly after printing it (default: auto-ack)`;

function parse(argv: string[]): ClientOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      dispatch: { type: 'string' },
      url: { type: 'string', multiple: true },
      token: { type: 'string', multiple: true },
      app: { type: 'string' },
      device: { type: 'string' },
      network: { type: 'string' },
      platform: { type: 'string' },
      'manual-ack': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (!values.token?.length) throw new Error('--token is required');
  if (!values.dispatch && !values.url?.length) throw new Error('--dispatch or --url is required');
  return {
    tokens: values.token,
    dispatchUrl: values.dispatch,
    urls: values.url,
    app: values.app,
    device: values.device,
    network: values.network as NetworkName | undefined,
    platform: values.platform ?? 'node',
    autoAck: !values['manual-ack'],
  };
}

const decoder = new TextDecoder();

function printPush(p: PushMessage): void {
  const { id, app, kind, topic, created, expires, qos } = p;
  process.stdout.write(`${JSON.stringify({ id, app, kind, topic, created, expires, qos, payload: decoder.decode(p.payload) })}\n`);
  p.ack?.();
}

function report(event: string, data: object): void {
  process.stderr.write(`${JSON.stringify({ event, ...data })}\n`);
}

function watch(client: HeraldClient): void {
  client.on('push', printPush);
  client.on('connected', (e) => report('connected', e));
  client.on('disconnected', (e) => report('disconnected', e));
  client.on('kick', (e) => report('kick', e));
  client.on('error', (e) => report('error', { message: e.message }));
  client.on('closed', (e) => {
    report('closed', e);
    if (e.code !== 1000) process.exitCode = 1;
  });
}

function main(): void {
  let client: HeraldClient;
  try {
    const options = parse(process.argv.slice(2));
    if (!options) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    client = createNodeClient(options);
  } catch (err) {
    process.stderr.write(`herald-client: ${(err as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  watch(client);
  process.once('SIGINT', () => {
    client.close();
    // close() leaves nothing behind; this only bounds a close handshake the room never answers.
    setTimeout(() => process.exit(), 2000).unref();
  });
  client.connect().catch((err: Error) => report('error', { message: `not connected: ${err.message}` }));
}

main();
