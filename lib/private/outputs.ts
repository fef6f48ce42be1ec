/**
 * Names of the registry's Terraform outputs: `<namePrefix>-<suffix>`, stable whatever the construct path, so scripts
 * can read them with `terraform output -raw <name>`.
 */

/** Characters of a Terraform identifier (an output name): letters, digits, `_` and `-`, not starting with a digit or `-`. */
const IDENTIFIER_CHAR = /[^A-Za-z0-9_-]/g;

/**
 * `<namePrefix>-<suffix>`, with every character Terraform does not allow in a name (e.g. `.`, `@`, `+`, `=` of a
 * client name) replaced by `_`, and `_` put in front when the name would start with a digit or `-` (a namePrefix
 * like `1password` gives `_1password-issuer`).
 */
export function outputName(namePrefix: string, suffix: string): string {
  const name = `${namePrefix}-${suffix}`.replace(IDENTIFIER_CHAR, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}
