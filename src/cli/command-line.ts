/** The `lip` command: parses the command line, runs the command, maps failures to exit codes. */
import { CommanderError } from 'commander';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';

/**
 * `lip call feed --stream | head -3`: once the reader is gone, stop quietly, as
 * grep or cat do when SIGPIPE ends them (Node ignores SIGPIPE and reports EPIPE instead).
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream, status: number): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(status);
    // Any other failure to write the output (a full disk: `lip call f > /dev/full`) is the command failing, said on stderr.
    reportError(error, { verbose: hasFlag(process.argv, '--verbose'), json: hasFlag(process.argv, '--json') });
    process.exit(exitCodeFor(error));
  });
}

/** A flag given as an option: after `--` it is an argument (`lip call f -- --json` sends the text). */
function hasFlag(argv: string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag);
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version arrive here too, with exit code 0; commander already printed usage errors.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    reportError(error, { verbose: hasFlag(argv, '--verbose'), json: hasFlag(argv, '--json') });
    return exitCodeFor(error);
  }
}

exitQuietlyOnClosedPipe(process.stdout, ExitCode.BrokenPipe);
// Nobody to tell on a closed stderr: the exit status still says what happened.
process.stderr.on('error', () => {});
const status = await main(process.argv);
// The command is over: exit even if a served module left a timer or a connection open (`lip serve`
// would otherwise outlive its functions), once what was written to stdout and stderr has been taken.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(status);

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}
