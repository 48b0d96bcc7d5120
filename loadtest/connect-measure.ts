/**
 * The earlier connect measurement, now the load-test tool's `hold` scenario:
 * `npm run measure:connect -- --devices 3000 --rate 1000` = `npm run loadtest -- hold --devices 3000 --connect-rate 1000 --duration 2`.
 */
import { main } from './cli';

const args = process.argv.slice(2).map((a) => (a === '--rate' ? '--connect-rate' : a));
main(['hold', '--duration', '2', ...args]).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`connect-measure: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
