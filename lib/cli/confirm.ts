import { createInterface } from 'node:readline';
import type { CliIo } from './cli-io.interface.js';

/**
 * Asks a yes/no question on stderr (stdout stays for results) and reads one line of stdin:
 * `y` or `yes`, in any case, is yes; anything else, or no input at all, is no.
 * @internal
 */
export function confirm(question: string, io: CliIo): Promise<boolean> {
  io.stderr.write(question);
  return new Promise((resolve) => {
    const lines = createInterface({ input: io.stdin, terminal: false });
    let answer: string | undefined;
    lines.once('line', (line) => {
      answer = line;
      lines.close();
    });
    lines.once('close', () => {
      // A terminal echoed the answer and its newline; a pipe did not.
      if (answer === undefined || !(io.stdin as { isTTY?: boolean }).isTTY) io.stderr.write('\n');
      resolve(answer !== undefined && /^\s*y(es)?\s*$/i.test(answer));
    });
  });
}
