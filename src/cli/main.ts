/** `lifetime-deploy`: the command-line entry point (deploy, approve, reject, status, list, cancel, promote, manifest, rollback, schedule). */
import { Command, CommanderError } from 'commander';
import { deployCommand } from '../starter';
import { CliError, connect, ExitCode, processIo, type CliContext, type Io } from './common';
import { operatorCommands } from './operator';
import { releaseCommands } from './release';
import { scheduleCommand } from './schedule';

export function buildProgram(io: Io, env: NodeJS.ProcessEnv, setExit: (code: number) => void): Command {
  const run = async (fn: (ctx: CliContext) => Promise<ExitCode>) => {
    const ctx = await connect(env);
    try {
      setExit(await fn(ctx));
    } finally {
      await ctx.close();
    }
  };
  const program = new Command('lifetime-deploy')
    .description('Durable OutSystems LifeTime deployments on Temporal')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText(
      'after',
      `
Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE (Temporal connection),
LIFETIME_DEPLOY_TASK_QUEUE (default lifetime-deploy), TEMPORAL_UI_URL (for links),
LIFETIME_DEPLOY_SIGNING_KEY (the SSH key that approve/reject sign with, as --sign-with).`,
    );
  program.addCommand(deployCommand(run, io));
  for (const c of operatorCommands(run, io, env)) program.addCommand(c);
  for (const c of releaseCommands(run, io)) program.addCommand(c);
  program.addCommand(scheduleCommand(run, io, env));
  for (const c of program.commands)
    c.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
}

/** Runs the CLI and returns its exit code (never calls process.exit itself). */
export async function runCli(
  argv: string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let code: number = ExitCode.Success;
  const program = buildProgram(io, env, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return ExitCode.InvalidInput;
    }
    if (err instanceof CliError) {
      io.err(`lifetime-deploy: ${err.message}`);
      return err.exitCode;
    }
    io.err(`lifetime-deploy: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.Failed;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(ExitCode.Failed),
  );
}
