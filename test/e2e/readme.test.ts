/**
 * The README matches the repository: its "CLI exit codes" table lists exactly the CLI's ExitCode names and numbers
 * with their docs, and every command it prints runs as printed on a fresh clone: `npm run X` names a script (and
 * the flags after `--` are ones the script reads), `npx lifetime-deploy <cmd>` a CLI command and its options,
 * `npm run temporal -- <cmd>` a Temporal CLI command and its flags; the files it names exist; shell examples start
 * with a program a fresh clone has; nothing points outside the clone (../shared).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { EXIT_CODE_DOCS, ExitCode } from '../../src/cli/common';
import { ensureTemporalBinaries } from '../../src/dev/temporal-binaries';

const ROOT = path.resolve(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SCRIPTS = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

/** The rows of the first table under the `## CLI exit codes` heading: [code, name, meaning]. */
function exitCodeTable(): [number, string, string][] {
  const start = README.indexOf('\n## CLI exit codes\n');
  expect(start).toBeGreaterThanOrEqual(0);
  const section = README.slice(start + 1).split(/\n## /)[0]!;
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  const [header, rule, ...body] = rows;
  expect(header).toEqual(['code', 'name', 'meaning']);
  expect(rule!.every((c) => /^:?-+:?$/.test(c))).toBe(true);
  return body.map(([code, name, meaning]) => [Number(code), name!.replace(/^`|`$/g, ''), meaning!]);
}

test('the README exit code table matches ExitCode and EXIT_CODE_DOCS exactly (every code, once, in order)', () => {
  const expected = Object.entries(ExitCode)
    .sort((a, b) => a[1] - b[1])
    .map(([name, code]) => [code, name, EXIT_CODE_DOCS[name as keyof typeof ExitCode]]);
  expect(exitCodeTable()).toEqual(expected);
});

test('the operator guide shows the CLI, the Temporal CLI signal and the UI "Send a Signal" way', () => {
  const start = README.indexOf('\n## Operator guide\n');
  expect(start).toBeGreaterThanOrEqual(0);
  const guide = README.slice(start).split(/\n## (?!Operator guide)/)[0]!;
  for (const cmd of ['approve', 'reject', 'status', 'list', 'cancel'])
    expect(guide).toContain(`lifetime-deploy ${cmd} `);
  expect(guide).toContain(
    `npm run temporal -- workflow signal --workflow-id <id> --name approve --input '{"by":"alice"}'`,
  );
  expect(guide).toContain('**Send a Signal**');
});

const FENCE = /^```(\w*)\n([\s\S]*?)^```/gm;

/** The command lines of the README's shell blocks: `\`-continuations joined, trailing comments dropped. */
function shellLines(): string[] {
  return [...README.matchAll(FENCE)]
    .filter((m) => m[1] === 'sh')
    .flatMap((m) => m[2]!.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
}

/** Every piece of code the README shows: shell lines and inline code spans outside the fenced blocks. */
function codeSnippets(): string[] {
  const spans = [...README.replace(FENCE, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...shellLines(), ...spans];
}

/** Shell-like words: quotes kept together (and removed), `[`/`]` of optional flags dropped. */
function words(text: string): string[] {
  return [...text.matchAll(/'[^']*'|"[^"]*"|[^\s]+/g)].map((m) =>
    m[0].replace(/^(['"])(.*)\1$/, '$2').replace(/^\[|\]$/g, ''),
  );
}

const isFlag = (w: string) => /^--[a-z][\w-]*$/.test(w);
const flagName = (w: string) => w.split('=')[0]!;

interface Invocation {
  snippet: string;
  /** The words after the program (for npm run: the script name, then the words after `--`). */
  args: string[];
}

/** Each place a snippet runs `program` (a regex matching the words that start it). */
function invocations(program: RegExp): Invocation[] {
  const found: Invocation[] = [];
  for (const snippet of codeSnippets()) {
    for (const m of snippet.matchAll(new RegExp(program.source, 'g'))) {
      const rest = snippet.slice(m.index + m[0].length).split(/\s(?:&&|\||;)\s/)[0]!;
      found.push({ snippet, args: words(rest) });
    }
  }
  return found;
}

describe('every command the README prints runs as printed on a fresh clone', () => {
  test('npm run <script>: the script exists; flags after `--` are ones the script reads', () => {
    const runs = invocations(/\bnpm run (?:--silent )?/);
    expect(runs.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const { snippet, args } of runs) {
      const [script, dashdash, ...rest] = args;
      if (!script || !(script in SCRIPTS)) {
        problems.push(`${snippet}: no npm script "${script}" (package.json has ${Object.keys(SCRIPTS).join(', ')})`);
        continue;
      }
      if (dashdash !== '--' || script === 'temporal' || script === 'cli') continue; // checked below
      const entry = /\btsx (\S+\.ts)\b(?!.*\btsx )/.exec(SCRIPTS[script]!)?.[1];
      const source = entry ? readFileSync(path.join(ROOT, entry), 'utf8') : '';
      for (const flag of rest.filter(isFlag).map(flagName))
        if (!source.includes(`${flag}`)) problems.push(`${snippet}: ${entry ?? script} does not read ${flag}`);
    }
    expect(problems).toEqual([]);
  });

  test('npx lifetime-deploy <cmd> (and npm run cli -- <cmd>, node bin/lifetime-deploy.js <cmd>): the command and its options exist', () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined }, {}, () => undefined);
    const commands = new Map(program.commands.map((c) => [c.name(), c]));
    const runs = [
      ...invocations(/(?<![\w-])lifetime-deploy(?:\.js)? (?=[a-z])/),
      ...invocations(/\bnpm run (?:--silent )?cli -- (?=[a-z])/),
    ];
    expect(runs.filter((r) => r.snippet.startsWith('npx lifetime-deploy ')).length).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const { snippet, args } of runs) {
      const [name, ...after] = args;
      let command = commands.get(name!);
      if (!command) {
        problems.push(`${snippet}: no CLI command "${name}" (the CLI has ${[...commands.keys()].join(', ')})`);
        continue;
      }
      // A command group (`schedule create …`): the subcommand's options; after `--`, the command it schedules.
      let rest = after;
      let label = name!;
      const sub = command.commands.find((c) => c.name() === rest[0]);
      if (command.commands.length && !sub) {
        problems.push(`${snippet}: \`${name}\` has no subcommand "${rest[0]}"`);
        continue;
      }
      if (sub) [command, rest, label] = [sub, rest.slice(1), `${name} ${sub.name()}`];
      const dashdash = rest.indexOf('--');
      const checks: [string, typeof command, string[]][] = [
        [label, command, dashdash < 0 ? rest : rest.slice(0, dashdash)],
      ];
      if (dashdash >= 0) {
        const [innerName, ...innerRest] = rest.slice(dashdash + 1);
        const inner = commands.get(innerName!);
        if (inner) checks.push([innerName!, inner, innerRest]);
        else problems.push(`${snippet}: no CLI command "${innerName}" after --`);
      }
      for (const [what, cmd, words] of checks) {
        const options = new Set([...cmd.options.map((o) => o.long), '--help']);
        for (const flag of words.filter(isFlag).map(flagName))
          if (!options.has(flag)) problems.push(`${snippet}: \`${what}\` has no option ${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('npm run temporal -- <cmd>: the Temporal CLI has the command and its flags', () => {
    const { cli } = ensureTemporalBinaries();
    const help = (args: string[]) => {
      const r = spawnSync(cli, [...args, '--help'], { encoding: 'utf8' });
      return `${r.stdout}${r.stderr}`;
    };
    const globalFlags = spawnSync(cli, ['options'], { encoding: 'utf8' }).stdout;
    const runs = invocations(/\bnpm run (?:--silent )?temporal -- (?=[a-z])/);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    const problems: string[] = [];
    for (const { snippet, args } of runs) {
      const command = args.slice(0, args.findIndex((w) => !/^[a-z][\w-]*$/.test(w)) >>> 0);
      const text = help(command);
      if (!text.includes(`Usage:\n  temporal ${command.join(' ')} [flags]`)) {
        problems.push(`${snippet}: \`temporal ${command.join(' ')}\` is not a Temporal CLI command`);
        continue;
      }
      for (const flag of args.filter(isFlag).map(flagName)) {
        const has = new RegExp(`(^|[\\s,])${flag}(?![\\w-])`, 'm');
        if (!has.test(text) && !has.test(globalFlags)) problems.push(`${snippet}: temporal has no flag ${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('shell examples start with a program a fresh clone has (not a bare `temporal` or `lifetime-deploy`)', () => {
    const programs = new Set(['npm', 'npx', 'node', 'docker', 'curl', 'export', 'bash', 'git', 'cd']);
    const lines = shellLines();
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => !programs.has(l.split(/\s+/)[0]!))).toEqual([]);
    const bare = codeSnippets().filter((c) => /^temporal (workflow|operator|server) /.test(c));
    expect(bare).toEqual([]);
  });
});

test('every file the README names exists in the clone', () => {
  const missing: string[] = [];
  for (const m of README.matchAll(/(?<![\w./-])((?:src|test|scripts|bench|docs|bin|\.ci)\/[\w./-]*)/g)) {
    const file = m[1]!.replace(/[.]+$/, '');
    if (!existsSync(path.join(ROOT, file))) missing.push(file);
  }
  const everywhere = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? everywhere(path.join(dir, e.name)) : [e.name],
    );
  const names = new Set([...readdirSync(ROOT), ...['src', 'test', 'scripts', 'bench', 'docs'].flatMap(everywhere)]);
  for (const m of README.matchAll(/`(Dockerfile|[\w.-]+\.(?:ts|js|json|md|yml|yaml))`/g))
    if (!names.has(m[1]!)) missing.push(m[1]!);
  expect(missing).toEqual([]);
  expect(README).toContain('docs/ARCHITECTURE.md');
});

test('the README and docs/ARCHITECTURE.md point nowhere outside the clone (no ../shared)', () => {
  const architecture = readFileSync(path.join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
  for (const text of [README, architecture]) {
    expect(text).not.toMatch(/\.\.\/shared|\/work\/shared|shared\/(DESIGN|STYLE|reference)/);
  }
});
