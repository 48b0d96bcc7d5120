/**
 * The load-test command: `npm run loadtest -- <scenario> [options]` (see options.ts for the
 * options). Prints progress every second, then the figures and where the report went.
 */
import { parseOptions, usage, type LoadOptions } from './options';
import { runLoad } from './run';
import { scenarios } from './scenarios';

function printSummary(summary: Record<string, unknown>): void {
  const lines = Object.entries(summary).map(([k, v]) => `  ${k.padEnd(28)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

/** Runs the CLI with argv (after the script name); answers the exit code. */
export async function main(argv: string[]): Promise<number> {
  let o: LoadOptions | 'help';
  try {
    o = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`loadtest: ${(err as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const abort = new AbortController();
  const onSignal = (): void => {
    process.stderr.write('loadtest: interrupted, cleaning up (again to force)\n');
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  try {
    const { result, json, html } = await runLoad(o, { scenario: scenarios[o.scenario], signal: abort.signal });
    printSummary(result.summary);
    process.stdout.write(`\nresult ${json}\nreport ${html}\n`);
    return result.summary.failure === undefined ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`loadtest: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
