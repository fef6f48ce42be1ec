/** What the deployed stack reports through Terraform outputs (`terraform output -json` in its synth directory). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The issuer the deployed stack reports: `terraform output -json` in its synth directory, output `<namePrefix>-issuer`. */
export function terraformIssuer(outdir: string, stack: string, namePrefix: string): string {
  const cwd = path.resolve(outdir, 'stacks', stack);
  const name = `${namePrefix}-issuer`;
  if (!existsSync(cwd)) throw new Error(`no synthesized stack at ${cwd}: synthesize and deploy it first, or pass --issuer <url>`);
  const result = spawnSync('terraform', ['output', '-json', '-no-color'], { cwd, encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : terraformError(result.stderr ?? '');
    throw new Error(`terraform output -json in ${cwd} failed (${why}): deploy first (cdktf deploy ${stack}), or pass --issuer <url>`);
  }
  const outputs = JSON.parse(result.stdout || '{}') as Record<string, { value?: unknown }>;
  const value = outputs[name]?.value;
  if (typeof value !== 'string' || !value) {
    throw new Error(`no Terraform output ${name} in ${cwd} (outputs: ${Object.keys(outputs).join(', ') || 'none'}); pass --issuer <url>`);
  }
  return value;
}

/** The `Error: …` line of Terraform's stderr (its boxes and warnings left out), else its last line. */
function terraformError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/^[\s│╷╵]+/, '').trim())
    .filter(Boolean);
  return lines.find((line) => line.startsWith('Error:')) ?? lines.at(-1) ?? 'no output';
}
