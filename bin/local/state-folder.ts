/**
 * A local state folder holds secrets in plain text (client secrets, a SaaS client secret, refresh-token sets), so it
 * is made private (mode 0700; every file in it is written 0600) and carries its own `.gitignore` of `*`, the way
 * Terraform's `.terraform/` and other tools' caches do: git ignores it in any project, whatever that project's own
 * `.gitignore` says (a consumer project made by `cdktf init` does not name `.oauth-registry/`).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const STATE_FOLDER_GITIGNORE = '# Written by oauth-registry: local secrets and tokens, never to be committed.\n*\n';

/** Creates `dir` (0700) when missing, and its `.gitignore` when missing (an edited one is left as it is). */
export function ensureStateFolder(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ignore = path.join(dir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, STATE_FOLDER_GITIGNORE, { mode: 0o600, flag: 'wx' });
  return dir;
}
