/** `npm run setup`: make sure the Temporal CLI and the time-skipping test server are installed. */
import { ensureTemporalBinaries, TemporalSetupError } from '../src/dev/temporal-binaries';

const started = Date.now();
try {
  const bins = ensureTemporalBinaries({ log: (l) => console.error(l) });
  console.error(`temporal CLI:         ${bins.cli}  [${bins.sources.cli}]; run it with npm run temporal -- <args>`);
  console.error(`temporal test server: ${bins.testServer}  [${bins.sources.testServer}]`);
  console.error(`setup done in ${((Date.now() - started) / 1000).toFixed(2)} s`);
} catch (err) {
  if (err instanceof TemporalSetupError) {
    console.error(err.message);
    process.exit(3);
  }
  throw err;
}
