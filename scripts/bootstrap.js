#!/usr/bin/env node
// Plain-JS first step of `npm test` and `npm run demo`, so both work on a fresh clone:
// installs the npm dependencies when they are missing or older than package-lock.json.
//
// Those scripts run `npm run setup --silent`, and npm passes --silent on to child npm processes as
// npm_config_loglevel=silent, which would hide every error of `npm ci`. So `npm ci` runs here with its own
// log level (warnings and errors), its stderr is shown as it comes and kept, and a failure ends with what
// failed, the likely reason and what to do.
'use strict';
const { existsSync, statSync } = require('node:fs');
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');

/** The likely cause of a failed `npm ci`, from its error output, and what to do about it. */
function advice(output, registry) {
  if (/ENOTCACHED|--offline/i.test(output))
    return [
      'npm is offline (npm_config_offline / --offline) and its cache does not hold every package.',
      'Run once with network access, or fill the cache first (`npm cache add <pkg>@<version>`).',
    ];
  if (/E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH|HOSTUNREACH)|network|socket hang up/i.test(output))
    return [
      `npm could not reach the registry (${registry}) and the packages are not in its cache.`,
      'Check the network connection; behind a proxy set it with `npm config set proxy <url>` and',
      '`npm config set https-proxy <url>`; for a private mirror, `npm config set registry <url>`.',
    ];
  if (/E(ACCES|PERM)/.test(output))
    return [
      `npm was not allowed to write (into ${path.join(root, 'node_modules')} or its cache).`,
      'Fix the permissions, or use a clone you own.',
    ];
  if (/EBADENGINE|engine/i.test(output))
    return [
      `This Node (${process.version}) does not satisfy package.json "engines" (Node >= 20.18).`,
      'Install Node 20.18 or newer.',
    ];
  if (/E(INTEGRITY|LOCK|USAGE)|lockfile|package-lock/i.test(output))
    return [
      'package-lock.json and package.json do not match, or a download was corrupt.',
      'Restore both from git (`git checkout package.json package-lock.json`) and retry.',
    ];
  return ['See the npm output above.'];
}

function registryUrl() {
  return process.env.npm_config_registry || 'https://registry.npmjs.org/';
}

function install() {
  console.error('installing npm dependencies (npm ci) …');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // An explicit log level overrides the inherited npm_config_loglevel=silent of `npm run … --silent`.
  const env = { ...process.env, npm_config_loglevel: 'warn' };
  const child = spawn(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
    shell: process.platform === 'win32',
  });
  let output = '';
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    output += chunk.toString();
  });
  child.on('error', (err) => finish(1, `${err.message}\n`));
  child.on('close', (code, signal) => finish(code ?? 1, signal ? `killed by ${signal}\n` : ''));

  let done = false;
  function finish(code, extra) {
    if (done) return;
    done = true;
    if (code === 0) return;
    output += extra;
    const lines = [
      '',
      `npm ci failed (exit ${code}): the npm dependencies are not installed in ${path.join(root, 'node_modules')}.`,
      ...advice(output, registryUrl()),
      'Then run the same command again (or `npm ci` on its own to see the full log).',
    ];
    console.error(lines.join('\n'));
    process.exit(code);
  }
}

if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) install();
