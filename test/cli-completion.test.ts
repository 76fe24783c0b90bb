/**
 * `lip completion bash|zsh`: the scripts load in the real shells and complete
 * commands, options, option values and the names served in the socket directory.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { socketDir } from './helpers/temp-dir.js';
import { LIP } from './helpers/lip-cli.js';

const hasZsh = spawnSync('zsh', ['--version']).status === 0;

/** A socket file in `dir` named for `name` (a server that bound it and was killed). */
function socketFile(dir: string, name: string): void {
  const path = join(dir, `lipcm-${name}.sock`);
  spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.ok(existsSync(path));
}

test('bash: lip completion bash completes commands, options, values and function names', (t) => {
  const dir = socketDir(t);
  socketFile(dir, 'createUser');
  socketFile(dir, 'add');
  const complete = (...words: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(LIP)} completion bash)"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lip; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        ...words,
      ],
      { encoding: 'utf8', env: { ...process.env, LIP_SOCKET_DIR: dir } },
    )
      .split('\n')
      .filter(Boolean)
      .sort();
  assert.match(
    execFileSync('bash', ['-c', `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(LIP)} completion bash)"; complete -p lip`], { encoding: 'utf8' }),
    /-F _lip lip/,
  );
  assert.deepEqual(complete('lip', 'ca'), ['call']);
  assert.deepEqual(complete('lip', 's'), ['serve', 'stats', 'stop']);
  assert.deepEqual(complete('lip', 'call', ''), ['add', 'createUser']);
  assert.deepEqual(complete('lip', 'doc', 'cr'), ['createUser']);
  assert.deepEqual(complete('lip', 'call', '--ar'), ['--arg-file', '--args']);
  assert.deepEqual(complete('lip', 'serve', '--log-level', 'w'), ['warning']);
  assert.deepEqual(complete('lip', 'completion', ''), ['bash', 'zsh']);
  assert.deepEqual(complete('lip', 'stop', '--a'), ['--all']);
});

test('zsh: lip completion zsh registers with compinit and finds the same candidates', { skip: !hasZsh && 'zsh is not installed' }, (t) => {
  const dir = socketDir(t);
  socketFile(dir, 'createUser');
  const load = `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(LIP)} completion zsh)"`;
  const zsh = (script: string) => execFileSync('zsh', ['-fc', script], { encoding: 'utf8', env: { ...process.env, LIP_SOCKET_DIR: dir } });
  assert.equal(zsh(`autoload -Uz compinit && compinit -u -D; ${load}; print -r -- $_comps[lip]`).trim(), '_lip');
  assert.deepEqual(zsh(`${load}; _lip_candidates call call '' 2 ${dir}`).trim().split('\n'), ['createUser']);
  assert.deepEqual(zsh(`${load}; _lip_candidates call call '' 2 /tmp/lip-no-such-dir`).trim(), '', 'no socket files: nothing, and no zsh error');
  assert.match(zsh(`${load}; _lip_candidates call call --a 2 ${dir}`), /^--args$/m);
  assert.equal(zsh(`${load}; _lip_socket_dir call --socket-dir /run/x add`), '/run/x');
});
