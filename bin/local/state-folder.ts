/**
 * A local state folder holds secrets in plain text (client secrets, a SaaS client secret, refresh-token sets), so it
 * is made private (mode 0700; every file in it is written 0600) and carries its own `.gitignore` of `*`, the way
 * Terraform's `.terraform/` and other tools' caches do: git ignores it in any project, whatever that project's own
 * `.gitignore` says (a consumer project made by `cdktf init` does not name `.oauth-registry/`).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const STATE_FOLDER_GITIGNORE = '# Written by oauth-registry: local secrets and tokens, never to be committed.\n*\n';

/**
 * Creates `dir` (0700) when missing, and its `.gitignore` when missing (an edited one is left as it is). Modes given at
 * creation do not change what exists: a folder an earlier version made, or loosened by hand, is made private again.
 */
export function ensureStateFolder(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  makePrivate(dir);
  const ignore = path.join(dir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, STATE_FOLDER_GITIGNORE, { mode: 0o600, flag: 'wx' });
  return dir;
}

/** Folders 0700 and files 0600, `dir` and everything under it (symbolic links are left alone). */
function makePrivate(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makePrivate(full);
    else if (entry.isFile()) chmodSync(full, 0o600);
  }
}
