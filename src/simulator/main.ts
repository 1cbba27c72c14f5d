/**
 * `npm run simulator -- [--host 127.0.0.1] [--port 8088] [--token <t>] [--data <file.json>] [--generate-apps N]
 *   [--state <file.json>] [--speed <factor>] [--progression wall|per-poll] [--parallel-limit N]`
 *
 * Starts the LifeTime simulator, prints its base URL and token, and stops cleanly on SIGINT/SIGTERM.
 * Bad flags: a message naming the flag, the value and what is accepted, exit code 2.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadDataFile, type SimData } from './data';
import { startSimulator, type SimulatorOptions } from './index';

const USAGE =
  'usage: npm run simulator -- [--host 127.0.0.1] [--port 8088] [--token <t>] [--data <file.json>] [--generate-apps N] ' +
  '[--state <file.json>] [--speed <factor>] [--progression wall|per-poll] [--parallel-limit N]';

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `an integer from ${min} to ${max}` })
        .max(max, { message: `an integer from ${min} to ${max}` }),
    );

/** Flags as parseArgs gives them (strings), turned into simulator options. */
export const SimulatorFlags = z.strictObject({
  host: z.string().min(1, { message: 'a host name or IP address' }).optional(),
  port: int(0, 65535).optional(),
  token: z.string().min(1, { message: 'a non-empty token' }).optional(),
  data: z.string().min(1, { message: 'a path to a JSON data file' }).optional(),
  'generate-apps': int(0, 100_000).optional(),
  state: z.string().min(1, { message: 'a path to a JSON state file' }).optional(),
  speed: z
    .string()
    .refine((s) => /^\d+(\.\d+)?$/.test(s) && Number(s) > 0, { message: 'a number greater than 0 (e.g. 1, 60, 600)' })
    .transform(Number)
    .optional(),
  progression: z.enum(['wall', 'per-poll'], { message: 'wall or per-poll' }).optional(),
  'parallel-limit': int(1, 1000).optional(),
  help: z.boolean().optional(),
});

export type ParsedArgs = { ok: true; options: SimulatorOptions; help: boolean } | { ok: false; error: string };

/** Parses argv (without node and script) into options, or an error that names the flag, value and accepted values. */
export function parseSimulatorArgs(argv: string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        data: { type: 'string' },
        'generate-apps': { type: 'string' },
        state: { type: 'string' },
        speed: { type: 'string' },
        progression: { type: 'string' },
        'parallel-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return { ok: false, error: `${err instanceof Error ? err.message : String(err)}\n${USAGE}` };
  }
  const r = SimulatorFlags.safeParse(values);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const flag = String(i.path[0] ?? '');
      return `invalid value for --${flag}: ${JSON.stringify(values[flag])}; expected ${i.message}`;
    });
    return { ok: false, error: `${lines.join('\n')}\n${USAGE}` };
  }
  const f = r.data;
  return {
    ok: true,
    help: f.help ?? false,
    options: {
      host: f.host,
      port: f.port,
      token: f.token,
      dataFile: f.data,
      generateApps: f['generate-apps'],
      stateFile: f.state,
      speed: f.speed,
      progression: f.progression,
      parallelLimit: f['parallel-limit'],
    },
  };
}

async function main(): Promise<void> {
  const parsed = parseSimulatorArgs(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(parsed.error);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  const { dataFile, ...options } = parsed.options;
  let data: SimData | undefined;
  try {
    data = dataFile ? loadDataFile(dataFile) : undefined;
  } catch (err) {
    console.error(`invalid value for --data: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const sim = await startSimulator({ ...options, data, log: (line) => console.log(line) });
  const c = sim.config();
  const d = sim.data();
  // One write: whoever reads the banner from a pipe sees all of it at once (it ends with the data line).
  console.log(
    [
      'LifeTime simulator listening',
      `  url:   ${sim.url}`,
      `  token: ${sim.token}`,
      `  admin: ${sim.origin}/_sim/`,
      `  pid:   ${process.pid}`,
      `  speed: ${c.speed}, progression: ${c.progression}, parallel limit: ${c.parallelLimit}`,
      `  data:  ${d.environments.length} environments, ${d.applications.length} applications`,
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the LifeTime simulator`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
