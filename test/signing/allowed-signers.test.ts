/**
 * The allowed-approvers file (OpenSSH allowed_signers format): a good file with every kind of line loads with
 * ssh-keygen's fingerprints; each kind of bad line is refused with its line number and what is wrong, quoting no key.
 */
import {
  AllowedSignersError,
  loadAllowedSigners,
  matchesPatternList,
  parseAllowedSigners,
} from '../../src/signing/allowed-signers';
import { Verifier } from '../../src/signing/verify';
import { useKeyDir } from './keys';

const keys = useKeyDir();
const LABEL = 'LIFETIME_DEPLOY_APPROVERS_FILE';

/** The error a file's text gives (its problems, one per bad line). */
async function problemsOf(text: string): Promise<string[]> {
  const file = keys.write(`bad-${Math.random().toString(36).slice(2)}`, text);
  const err = await loadAllowedSigners(file, { label: LABEL }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AllowedSignersError);
  return (err as AllowedSignersError).problems;
}

describe('a good file', () => {
  test('every kind of line: comments, blank lines, quoted principals, options, ed25519, rsa and ecdsa, CRLF', async () => {
    const alice = keys.key('alice');
    const bob = keys.key('bob');
    const carol = keys.key('carol', { type: 'rsa' });
    const dave = keys.key('dave', { type: 'ecdsa' });
    const text = [
      '# approvers for Production',
      '',
      `alice ${alice.line} alice's laptop`,
      `   bob,robert@example.com namespaces="lifetime-deploy,git" ${bob.line}`,
      `"carol" valid-after="20200101",VALID-BEFORE="20991231235959Z" ${carol.line}`,
      `*@ops.example.com cert-authority ${dave.line}\r`,
      '  # an indented comment',
      `"erin,frank" namespaces="git" ${alice.line}`,
    ].join('\n');
    const file = keys.write('good', text);
    const s = await loadAllowedSigners(file, { label: LABEL });
    expect(s.entries).toEqual([
      { line: 3, principals: ['alice'], certAuthority: false, keyType: 'ssh-ed25519', fingerprint: alice.fingerprint },
      {
        line: 4,
        principals: ['bob', 'robert@example.com'],
        certAuthority: false,
        namespaces: 'lifetime-deploy,git',
        keyType: 'ssh-ed25519',
        fingerprint: bob.fingerprint,
      },
      {
        line: 5,
        principals: ['carol'],
        certAuthority: false,
        validAfter: '20200101',
        validBefore: '20991231235959Z',
        keyType: 'ssh-rsa',
        fingerprint: carol.fingerprint,
      },
      {
        line: 6,
        principals: ['*@ops.example.com'],
        certAuthority: true,
        keyType: 'ecdsa-sha2-nistp256',
        fingerprint: dave.fingerprint,
      },
      {
        line: 8,
        principals: ['erin', 'frank'],
        certAuthority: false,
        namespaces: 'git',
        keyType: 'ssh-ed25519',
        fingerprint: alice.fingerprint,
      },
    ]);
    expect(s.principals).toEqual(['alice', 'bob', 'robert@example.com', 'carol', '*@ops.example.com', 'erin', 'frank']);
    // Valid, but not what was meant: said once, with the line.
    expect(s.warnings).toEqual([
      `${LABEL} line 5: valid-after="20200101" has no Z: ssh-keygen reads it in the local time zone`,
      `${LABEL} line 8: namespaces="git" does not include lifetime-deploy: this key cannot sign decisions`,
    ]);
    // The text is kept for ssh-keygen, but not where a log or JSON would show it.
    expect(s.text).toBe(text);
    expect(JSON.stringify(s)).not.toContain(alice.line.split(' ')[1]);
  });

  test('pattern lists match as OpenSSH matches them (wildcards, negation)', () => {
    expect(matchesPatternList('alice@example.com', '*@example.com')).toBe(true);
    expect(matchesPatternList('alice', 'bob,al?ce')).toBe(true);
    expect(matchesPatternList('mallory@example.com', '*@example.com,!mallory@*')).toBe(false);
    expect(matchesPatternList('lifetime-deploy', 'git,file')).toBe(false);
  });
});

describe('a bad line: an error naming the line and what is wrong', () => {
  const cases: [string, (k: string) => string, string][] = [
    [
      'an unknown key type',
      (k) => `alice ssh-foo ${k.split(' ')[1]}`,
      'key type "ssh-foo" is not a known SSH key type (known: ssh-ed25519, ssh-rsa, ',
    ],
    [
      'an unknown key type after options',
      (k) => `alice namespaces="lifetime-deploy" ssh-foo ${k.split(' ')[1]}`,
      'key type "ssh-foo" is not a known SSH key type',
    ],
    [
      'an unknown option (before a key type)',
      (k) => `alice verify-required ${k}`,
      'unknown option "verify-required" (known: cert-authority, namespaces="…", valid-after="…", valid-before="…")',
    ],
    [
      'an unknown option among options',
      (k) => `alice cert-authority,no-touch-required ${k}`,
      'unknown option "no-touch-required" (known: cert-authority, namespaces="…", valid-after="…", valid-before="…")',
    ],
    [
      'an option value without quotes',
      (k) => `alice valid-after=20200101 ${k}`,
      'valid-after needs a value in double quotes, e.g. valid-after="20260101"',
    ],
    [
      'a date that is not one',
      (k) => `alice valid-before="20261340" ${k}`,
      'valid-before="20261340" is not a date or time (YYYYMMDD or YYYYMMDDHHMM[SS], optional Z for UTC)',
    ],
    [
      'valid-after after valid-before',
      (k) => `alice valid-after="20300101Z",valid-before="20200101Z" ${k}`,
      'valid-after must be before valid-before',
    ],
    [
      'an option given twice',
      (k) => `alice cert-authority,cert-authority ${k}`,
      'option cert-authority is given twice',
    ],
    ['an empty namespaces list', (k) => `alice namespaces="" ${k}`, 'namespaces must list one or more namespaces'],
    ['a principal list with a hole', (k) => `alice,,bob ${k}`, 'principals "alice,,bob": empty principal'],
    ['an unterminated quote', (k) => `"alice ${k}`, 'principals: missing closing double quote'],
    ['principals only', () => 'alice', 'missing the key type and key after the principals'],
    ['no key after the type', () => 'alice ssh-ed25519', 'missing the base64 key after ssh-ed25519'],
    ['a key that is not base64', () => 'alice ssh-ed25519 not*base64', 'the ssh-ed25519 key is not base64'],
    [
      'a key ssh-keygen cannot read',
      () => 'alice ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc',
      'the ssh-ed25519 key is not valid (ssh-keygen cannot read it)',
    ],
    [
      'a key of another type than the line says',
      (k) => `alice ssh-rsa ${k.split(' ')[1]}`,
      'the ssh-rsa key is not valid (ssh-keygen cannot read it)',
    ],
  ];
  test.each(cases)('%s', async (_name, line, problem) => {
    const k = keys.key('alice').line;
    const problems = await problemsOf(`# approvers\n\n${line(k)}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${LABEL} line 3: ${problem}`);
    expect(problems[0]).not.toContain(k.split(' ')[1]!.slice(20)); // never the key itself
  });

  test('several bad lines: each one listed with its number; good lines around them do not matter', async () => {
    const k = keys.key('alice').line;
    const problems = await problemsOf(
      [`alice ${k}`, `bob ssh-foo ${k.split(' ')[1]}`, `carol ${k}`, `dave bogus=1 ${k}`].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^LIFETIME_DEPLOY_APPROVERS_FILE line 2: key type "ssh-foo"/),
      expect.stringMatching(/^LIFETIME_DEPLOY_APPROVERS_FILE line 4: unknown option "bogus"/),
    ]);
  });

  test('bad keys found by ssh-keygen are listed in line order', async () => {
    const problems = await problemsOf(
      ['alice ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc', `bob ${keys.key('bob').line}`, 'carol ssh-rsa AAAA'].join(
        '\n',
      ),
    );
    expect(problems).toEqual([
      `${LABEL} line 1: the ssh-ed25519 key is not valid (ssh-keygen cannot read it)`,
      `${LABEL} line 3: the ssh-rsa key is not valid (ssh-keygen cannot read it)`,
    ]);
  });

  test('the message never quotes the whole file, and long tokens are cut', () => {
    const long = `ssh-${'x'.repeat(300)}`;
    let err: unknown;
    try {
      parseAllowedSigners(`alice ${long} AAAA`, LABEL);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe(
      `${LABEL} line 1: key type "ssh-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" is not a known SSH key type (known: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com)`,
    );
  });
});

describe('the file as a whole (at worker start)', () => {
  test('a file with no keys is refused at start: no signed decision could ever count', async () => {
    const file = keys.write('empty', '# nobody yet\n\n');
    await expect(new Verifier({ approversFile: file }).load()).rejects.toThrow(
      `${LABEL}: ${file} lists no keys, so no signed decision could ever count`,
    );
  });

  test('a missing file names the variable, the path and the error code', async () => {
    const file = `${keys.dir}/no-such-file`;
    await expect(new Verifier({ approversFile: file }).load()).rejects.toThrow(
      `${LABEL}: cannot read ${file} (ENOENT)`,
    );
  });
});
