/**
 * `lip unit <name> --module <file>`: a systemd socket unit and its service for one function, so that
 * systemd holds the socket and starts `lip serve` on the first call (socket activation).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { addCommonOptions, parseMs, print, type CommonOptions } from '../common.js';
import { usageError } from '../exit-codes.js';

interface UnitOptions extends CommonOptions {
  module: string;
  user?: string;
  socketMode: string;
  grace?: number;
  outDir?: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const LIP_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

export function registerUnit(program: Command): void {
  const command = program
    .command('unit')
    .description('print a systemd .socket and .service pair that serve a function on demand (socket activation)')
    .argument('<name>', 'the function name (its socket: <socket-dir>/lipcm-<name>.sock)')
    .requiredOption('--module <file>', 'the module file that exports it')
    .option('--user <user>', 'run the service as this user (User=), and give it the socket (SocketUser=)')
    .option('--socket-mode <mode>', 'mode of the socket file: who may call (SocketMode=)', '0600')
    .option('--grace <ms>', 'on stop, how long running calls may take (also sets TimeoutStopSec=)', parseMs)
    .option('--out-dir <dir>', 'write lip-<name>.socket and lip-<name>.service there instead of printing them')
    .addHelpText(
      'after',
      `
Examples:
  $ lip unit add --module /srv/app/math.js --socket-dir /run/lip --user app
  $ sudo lip unit add --module /srv/app/math.js --socket-dir /run/lip --out-dir /etc/systemd/system
  $ sudo systemctl enable --now lip-add.socket`,
    );
  addCommonOptions(command).action((name: string, options: UnitOptions) => unit(name, options));
}

async function unit(name: string, options: UnitOptions): Promise<void> {
  if (!NAME.test(name)) throw usageError(`'${name}' is not a function name: letters, digits, '_', '-' and '.'`);
  if (!/^0?[0-7]{3}$/.test(options.socketMode)) throw usageError(`--socket-mode: expected an octal mode such as 0600, got ${options.socketMode}`);
  if (options.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(options.user)) throw usageError(`--user: '${options.user}' is not a user name`);
  const units = unitFiles(name, options);
  if (options.outDir === undefined) {
    print(`# lip-${name}.socket\n${units.socket}`);
    print(`# lip-${name}.service\n${units.service}`);
    return;
  }
  await writeFile(join(options.outDir, `lip-${name}.socket`), units.socket);
  await writeFile(join(options.outDir, `lip-${name}.service`), units.service);
  print(`wrote ${join(options.outDir, `lip-${name}.socket`)} and lip-${name}.service`);
}

/** The two unit files' text. */
export function unitFiles(name: string, options: UnitOptions): { socket: string; service: string } {
  const socketDir = resolve(options.socketDir ?? process.env.LIP_SOCKET_DIR ?? '/tmp');
  const path = join(socketDir, `lipcm-${name}.sock`);
  const module = resolve(options.module);
  const grace = options.grace ?? 10_000;
  const exec = [process.execPath, LIP_MAIN, 'serve', module, '--only', name, '--socket-dir', socketDir, '--grace', String(grace)].map(quote).join(' ');
  const socket = `[Unit]
Description=lipmodule function ${name} (socket)

[Socket]
ListenStream=${path}
FileDescriptorName=${name}
SocketMode=${options.socketMode.padStart(4, '0')}
${options.user ? `SocketUser=${options.user}\n` : ''}DirectoryMode=0755
RemoveOnStop=true

[Install]
WantedBy=sockets.target
`;
  const service = `[Unit]
Description=lipmodule function ${name}
Requires=lip-${name}.socket
After=lip-${name}.socket

[Service]
Type=simple
ExecStart=${exec}
${options.user ? `User=${options.user}\n` : ''}Environment=LIP_LOG_FORMAT=json
KillSignal=SIGTERM
TimeoutStopSec=${Math.ceil(grace / 1000) + 5}
Restart=on-failure
NoNewPrivileges=true
PrivateTmp=false

[Install]
WantedBy=multi-user.target
`;
  return { socket, service };
}

/** A word of ExecStart=, quoted when it holds a space or a quote (systemd's own quoting). */
function quote(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/["\\]/g, '\\$&')}"` : word;
}
