#!/usr/bin/env node
/** The `lip` command: parses the command line, runs the command, maps failures to exit codes. */
import { CommanderError } from 'commander';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';

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
    reportError(error, argv.includes('--verbose'));
    return exitCodeFor(error);
  }
}

// exitCode, not exit(): stdout is flushed before the process ends.
process.exitCode = await main(process.argv);
