/**
 * `npm run demo`: the whole job end to end on embedded defaults.
 * Until the simulator, workflow and worker land, it proves the Temporal part honestly: it starts the
 * project's own Temporal dev server, runs one workflow through it, prints the result and stops.
 */
import { ensureTemporalBinaries } from '../src/dev/temporal-binaries';

async function main(): Promise<void> {
  const bins = ensureTemporalBinaries({ log: (l) => console.error(l) });
  console.log('lifetime-deploy demo');
  console.log(`  Temporal CLI: ${bins.cli}`);
  console.log('  The LifeTime deployment demo is coming (simulator + workflow + worker are being built).');
  console.log('  Meanwhile, run `npm test` to see real workflows run on a real Temporal server.');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
