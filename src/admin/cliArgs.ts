/** Argument parsing shared by the admin CLI's commands (src/admin/cli.ts). */

/** A command line the CLI cannot run: exit code 2 with the usage text. */
export class UsageError extends Error {}

/** "--flag value" pairs (or "--switch" alone, when named in `switches`) after the positional arguments. */
export function flags(
  args: string[],
  known: string[],
  switches: string[] = ['no-watch'],
): { positional: string[]; values: Record<string, string[]> } {
  const positional: string[] = [];
  const values: Record<string, string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (!known.includes(name)) throw new UsageError(`unknown option ${arg}`);
    if (switches.includes(name)) {
      values[name] = ['true'];
      continue;
    }
    const value = args[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    (values[name] ??= []).push(value);
  }
  return { positional, values };
}
