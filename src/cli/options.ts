/** Option parsers shared by the commands: whole numbers with clean messages, and `--url`/`--key`/`--json`. */
import { InvalidArgumentError, type Command } from 'commander';

/** A parser of whole numbers in [min, max] for commander; its message names the rule. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be a whole number ≥ ${min}.` : `must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** The options every command that calls the API takes. */
export function apiOptions(command: Command): Command {
  return command
    .option('--url <url>', 'the server (default $QIG_URL, else http://127.0.0.1:8080)')
    .option('--key <apiKey>', 'the API key (default $QIG_API_KEY, else a local server\'s $QIG_DATA_DIR/dev-key.txt, ./data by default)')
    .option('--json', 'print JSON for scripts instead of text');
}
