#!/usr/bin/env node
/**
 * `qig`: edit and generate images, watch tasks, read models and balance through the API (this
 * gateway or DashScope); and administer keys and usage on the server's own store.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './cli/admin-commands.js';
import { EXIT, EXIT_CODES_HELP, errorJson, exitCodeOf, messageOf } from './cli/exit-codes.js';
import { registerImageCommands } from './cli/image-commands.js';
import { registerTaskCommands } from './cli/task-commands.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const ENVIRONMENT_HELP = `
Environment:
  QIG_URL, QIG_API_KEY   the server and key of the API commands (or --url, --key); with neither,
                         a server on 127.0.0.1:8080 and the key it saved in
                         $QIG_DATA_DIR/dev-key.txt (./data/dev-key.txt by default)
  QIG_DATA_DIR, DATABASE_URL, QIG_CONFIG
                         the store of keys and usage (the server's own settings)
`;

function program(): Command {
  const qig = new Command('qig')
    .description('qwen-image-gateway: edit and generate images, watch tasks, manage keys')
    .version(version, '-v, --version', 'print the version')
    .addHelpText('after', `${ENVIRONMENT_HELP}${EXIT_CODES_HELP}`);
  registerImageCommands(qig);
  registerTaskCommands(qig);
  registerAdminCommands(qig);
  // Errors in the command line itself (unknown flags, missing arguments) exit 2, like the rest of
  // the usage errors; commander prints them.
  const usageExit = (command: Command, path: string): void => {
    command.exitOverride((error: CommanderError) => {
      throw error;
    });
    command.showHelpAfterError(`(${path} --help lists ${command.commands.length > 0 ? 'the commands' : 'its options'})`);
    for (const sub of command.commands) usageExit(sub, `${path} ${sub.name()}`);
  };
  usageExit(qig, 'qig');
  return qig;
}

program()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof CommanderError) {
      // Help and version end with code 0; everything else commander reports is a usage error.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    // With --json a script reads the failure on stdout too, as one JSON document.
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(errorJson(error), null, 2)}\n`);
    else process.stderr.write(`qig: ${messageOf(error)}\n`);
    process.exitCode = exitCodeOf(error);
  });
