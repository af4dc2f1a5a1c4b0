import { readFileSync } from 'node:fs';

/** The node arguments `npm start` runs the API with (its `start` script), so the bench runs exactly that. */
export function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  const [command, ...args] = scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node`);
  return args;
}
