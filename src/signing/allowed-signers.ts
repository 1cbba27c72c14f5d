/**
 * The allowed-approvers file, in OpenSSH's allowed_signers format (`man ssh-keygen`, ALLOWED SIGNERS):
 *
 *   principals [options] keytype base64-key [comment]
 *
 * principals: comma-separated patterns (`*` and `?` wildcards, `!` negation), optionally in double quotes;
 * options: comma-separated `cert-authority`, `namespaces="…"`, `valid-after="…"`, `valid-before="…"` (keywords in
 * any case, values in double quotes); empty lines and `#` comments are skipped. Each key is checked by ssh-keygen
 * itself (`ssh-keygen -l`), which also gives its SHA256 fingerprint; nothing here decodes a key.
 *
 * Errors name the line and what is wrong, and quote at most a short token (never a key or the whole file).
 */
import { readFileSync, statSync } from 'node:fs';
import { SIGNING_NAMESPACE } from '../workflows/signed-decision';
import { runSshKeygen, withPrivateDir } from './ssh-keygen';

/** Public key algorithms an allowed-signers line may name (OpenSSH 8.9+). */
export const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

/** The largest file (and line) accepted: an approvers file is a list of people, not a data set. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_LINE_CHARS = 16 * 1024;
/** At most this many bad lines are listed in one error. */
const MAX_PROBLEMS = 10;

export interface AllowedSigner {
  /** Line number in the file (1-based). */
  line: number;
  /** Principal patterns, as written (quotes removed). */
  principals: string[];
  certAuthority: boolean;
  namespaces?: string;
  validAfter?: string;
  validBefore?: string;
  keyType: string;
  /** `SHA256:…`, from ssh-keygen. */
  fingerprint: string;
}

export interface AllowedSigners {
  /** Where it was read from. */
  file: string;
  entries: AllowedSigner[];
  /** Distinct principal patterns. */
  principals: string[];
  /** Lines that are valid but cannot work as meant here (e.g. a key limited to another namespace). */
  warnings: string[];
  /** The text that was validated (what ssh-keygen verifies against). Not enumerable: never logged by accident. */
  readonly text: string;
}

export class AllowedSignersError extends Error {
  override readonly name = 'AllowedSignersError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n  '));
  }
}

/** A line as parsed, before ssh-keygen has read its key. */
type ParsedLine = Omit<AllowedSigner, 'fingerprint'> & { key: string };

/** A short quote of a token for an error message. */
const q = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** One whitespace-separated field, where double quotes protect spaces (as OpenSSH reads options). */
function field(s: string, from: number): { token: string; end: number; unterminated: boolean } {
  let i = from;
  let quoted = false;
  while (i < s.length && (quoted || !/[ \t]/.test(s[i]!))) {
    if (s[i] === '"') quoted = !quoted;
    i++;
  }
  return { token: s.slice(from, i), end: i, unterminated: quoted };
}

const skipSpace = (s: string, i: number) => {
  while (i < s.length && /[ \t]/.test(s[i]!)) i++;
  return i;
};

/** `*`/`?` glob match, as OpenSSH's match_pattern (case-sensitive). */
function globMatch(text: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}

/** OpenSSH's match_pattern_list: a negated match wins, otherwise any positive match. */
export function matchesPatternList(text: string, list: string): boolean {
  let hit = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    if (globMatch(text, negated ? raw.slice(1) : raw)) {
      if (negated) return false;
      hit = true;
    }
  }
  return hit;
}

/** YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z], a real date. */
function validTimestamp(v: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?Z?$/.exec(v);
  if (!m) return false;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => x ?? '0');
  const t = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s));
  return (
    t.getUTCFullYear() === +y! &&
    t.getUTCMonth() === +mo! - 1 &&
    t.getUTCDate() === +d! &&
    +h < 24 &&
    +mi < 60 &&
    +s < 60
  );
}

/** Splits an options field on the commas outside double quotes. */
function splitOptions(token: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of token) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

type Options = Pick<ParsedLine, 'certAuthority' | 'namespaces' | 'validAfter' | 'validBefore'>;

/** Parses an options field; returns a problem text when it is not one. */
function parseOptions(token: string): Options | string {
  const opts: Options = { certAuthority: false };
  const seen = new Set<string>();
  for (const opt of splitOptions(token)) {
    const eq = opt.indexOf('=');
    const name = (eq < 0 ? opt : opt.slice(0, eq)).toLowerCase();
    const known = ['cert-authority', 'namespaces', 'valid-after', 'valid-before'];
    if (!known.includes(name)) {
      return opt === ''
        ? 'empty option (a stray comma?)'
        : `unknown option ${q(eq < 0 ? opt : opt.slice(0, eq))} (known: cert-authority, namespaces="…", valid-after="…", valid-before="…")`;
    }
    if (seen.has(name)) return `option ${name} is given twice`;
    seen.add(name);
    if (name === 'cert-authority') {
      if (eq >= 0) return 'cert-authority takes no value';
      opts.certAuthority = true;
      continue;
    }
    const raw = eq < 0 ? '' : opt.slice(eq + 1);
    if (!/^"[^"]*"$/.test(raw))
      return `${name} needs a value in double quotes, e.g. ${name}="${name === 'namespaces' ? SIGNING_NAMESPACE : '20260101'}"`;
    const value = raw.slice(1, -1);
    if (name === 'namespaces') {
      if (!value || value.split(',').some((n) => !n)) return 'namespaces must list one or more namespaces';
      opts.namespaces = value;
    } else {
      if (!validTimestamp(value))
        return `${name}=${q(value)} is not a date or time (YYYYMMDD or YYYYMMDDHHMM[SS], optional Z for UTC)`;
      if (name === 'valid-after') opts.validAfter = value;
      else opts.validBefore = value;
    }
  }
  const norm = (v: string) => v.replace('Z', '').padEnd(14, '0');
  if (
    opts.validAfter &&
    opts.validBefore &&
    opts.validAfter.endsWith('Z') === opts.validBefore.endsWith('Z') &&
    norm(opts.validAfter) >= norm(opts.validBefore)
  ) {
    return 'valid-after must be before valid-before';
  }
  return opts;
}

const isKeyType = (t: string): boolean => (KEY_TYPES as readonly string[]).includes(t);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses one non-comment line; returns a problem text when it is not a valid line. */
function parseLine(text: string, line: number): ParsedLine | string {
  if (text.length > MAX_LINE_CHARS) return `line is longer than ${MAX_LINE_CHARS} characters`;
  let i = skipSpace(text, 0);
  // Principals: one field, optionally in double quotes.
  const p = field(text, i);
  if (p.unterminated) return 'principals: missing closing double quote';
  let principalsText = p.token;
  if (principalsText.startsWith('"')) {
    if (!principalsText.endsWith('"') || principalsText.length < 2)
      return 'principals: the closing double quote must end the field';
    principalsText = principalsText.slice(1, -1);
  } else if (principalsText.includes('"')) return 'principals: unexpected double quote';
  const principals = principalsText.split(',');
  if (principals.some((x) => !x || x === '!')) return `principals ${q(principalsText)}: empty principal`;
  if (principals.some((x) => [...x].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f')))
    return 'principals: control characters are not allowed';
  i = skipSpace(text, p.end);

  // Options (optional), then the key type.
  const second = field(text, i);
  if (!second.token) return 'missing the key type and key after the principals';
  if (second.unterminated) return 'options: missing closing double quote';
  let options: Options = { certAuthority: false };
  let typeField = second;
  if (!isKeyType(second.token)) {
    const next = field(text, skipSpace(text, second.end)).token;
    const looksLikeKeyType = !/[=",]/.test(second.token) && second.token !== 'cert-authority';
    if (looksLikeKeyType && (next === '' || BASE64.test(next))) {
      return `key type ${q(second.token)} is not a known SSH key type (known: ${KEY_TYPES.join(', ')})`;
    }
    const parsed = parseOptions(second.token);
    if (typeof parsed === 'string') return parsed;
    options = parsed;
    typeField = field(text, skipSpace(text, second.end));
    if (!typeField.token) return 'missing the key type and key after the options';
    if (!isKeyType(typeField.token))
      return `key type ${q(typeField.token)} is not a known SSH key type (known: ${KEY_TYPES.join(', ')})`;
  }
  const keyField = field(text, skipSpace(text, typeField.end));
  if (!keyField.token) return `missing the base64 key after ${typeField.token}`;
  if (!BASE64.test(keyField.token)) return `the ${typeField.token} key is not base64`;
  return { line, principals, ...options, keyType: typeField.token, key: keyField.token };
}

/**
 * Parses the text of an allowed-signers file (syntax only; keys are checked by `loadAllowedSigners`).
 * Throws AllowedSignersError listing the bad lines (`<label> line 3: …`).
 */
export function parseAllowedSigners(text: string, label: string): ParsedLine[] {
  const entries: ParsedLine[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const r = parseLine(line, idx + 1);
    if (typeof r === 'string') problems.push(`${label} line ${idx + 1}: ${r}`);
    else entries.push(r);
  });
  if (problems.length > MAX_PROBLEMS) {
    const more = problems.length - MAX_PROBLEMS;
    problems.splice(MAX_PROBLEMS, more, `${label}: ${more} more bad lines`);
  }
  if (problems.length) throw new AllowedSignersError(problems);
  return entries;
}

/** Asks ssh-keygen to read each key (`ssh-keygen -l`): a key it cannot read is a bad line. Returns fingerprints. */
async function fingerprints(entries: ParsedLine[], label: string, sshKeygen?: string): Promise<string[]> {
  return withPrivateDir(async (dir) => {
    const out: string[] = new Array<string>(entries.length);
    const problems: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const i = next++;
        const e = entries[i]!;
        const file = dir.put(`key-${i}.pub`, `${e.keyType} ${e.key}\n`);
        const r = await runSshKeygen(['-l', '-f', file], { sshKeygen });
        const fp = /\b(SHA256:[A-Za-z0-9+/]+)/.exec(r.stdout)?.[1];
        if (r.code !== 0 || !fp)
          problems.push(`${label} line ${e.line}: the ${e.keyType} key is not valid (ssh-keygen cannot read it)`);
        else out[i] = fp;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    if (problems.length) throw new AllowedSignersError(problems.sort(byLine).slice(0, MAX_PROBLEMS));
    return out;
  });
}

const byLine = (a: string, b: string) => Number(/line (\d+)/.exec(a)?.[1]) - Number(/line (\d+)/.exec(b)?.[1]);

/** Validates the text of an allowed-signers file: syntax, then every key through ssh-keygen. */
export async function validateAllowedSigners(
  text: string,
  opts: { file: string; label?: string; sshKeygen?: string; requireKeys?: boolean },
): Promise<AllowedSigners> {
  const label = opts.label ?? opts.file;
  const parsed = parseAllowedSigners(text, label);
  if (opts.requireKeys && parsed.length === 0) {
    throw new AllowedSignersError([`${label}: ${opts.file} lists no keys, so no signed decision could ever count`]);
  }
  const fps = await fingerprints(parsed, label, opts.sshKeygen);
  const warnings: string[] = [];
  const entries = parsed.map((p, i): AllowedSigner => {
    if (p.namespaces !== undefined && !matchesPatternList(SIGNING_NAMESPACE, p.namespaces)) {
      warnings.push(
        `${label} line ${p.line}: namespaces=${q(p.namespaces)} does not include ${SIGNING_NAMESPACE}: this key cannot sign decisions`,
      );
    }
    for (const [name, v] of [
      ['valid-after', p.validAfter],
      ['valid-before', p.validBefore],
    ] as const) {
      if (v && !v.endsWith('Z'))
        warnings.push(`${label} line ${p.line}: ${name}="${v}" has no Z: ssh-keygen reads it in the local time zone`);
    }
    const { key: _key, ...entry } = p; // the key itself stays in the text only
    return { ...entry, fingerprint: fps[i]! };
  });
  const result = {
    file: opts.file,
    entries,
    principals: [...new Set(entries.flatMap((e) => e.principals))],
    warnings,
  } as Omit<AllowedSigners, 'text'>;
  Object.defineProperty(result, 'text', { value: text, enumerable: false });
  return result as AllowedSigners;
}

/** Reads the file's text (bounded), or throws AllowedSignersError naming the label and why. */
export function readAllowedSignersFile(file: string, label: string = file): string {
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) throw new AllowedSignersError([`${label}: ${file} is larger than 1 MiB`]);
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof AllowedSignersError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AllowedSignersError([`${label}: cannot read ${file} (${code})`]);
  }
}

/**
 * Reads and validates an allowed-signers file. Throws AllowedSignersError (bad file: one line per problem) or
 * SshKeygenUnavailableError (ssh-keygen cannot run).
 */
export async function loadAllowedSigners(
  file: string,
  opts: { label?: string; sshKeygen?: string; requireKeys?: boolean } = {},
): Promise<AllowedSigners> {
  const text = readAllowedSignersFile(file, opts.label);
  return validateAllowedSigners(text, { ...opts, file });
}
