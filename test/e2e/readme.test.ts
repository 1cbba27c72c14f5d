/** The README's "CLI exit codes" table lists exactly the CLI's ExitCode names and numbers, with their docs. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EXIT_CODE_DOCS, ExitCode } from '../../src/cli/common';

const README = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

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
  expect(guide).toContain(`temporal workflow signal --workflow-id <id> --name approve --input '{"by":"alice"}'`);
  expect(guide).toContain('**Send a Signal**');
});
