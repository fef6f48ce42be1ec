/** The rotation dates of a registry's secrets, from Secrets Manager's ListSecrets (metadata only, 100 a page). */
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** What the health check needs to know of one rotated secret. */
export interface RotationDates {
  readonly name: string;
  /** Days between rotations (the secret's `AutomaticallyAfterDays`). */
  readonly periodDays: number;
  /** Its last rotation, else its creation (the bootstrap writes first values without a rotation), epoch ms. */
  readonly lastRotatedMs: number;
}

/** Every secret named `<namePrefix>/…` with rotation on (the operator-set ones have none). */
export async function listRotationDates(namePrefix: string, client = new SecretsManagerClient({})): Promise<RotationDates[]> {
  const found: RotationDates[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${namePrefix}/`] }], MaxResults: 100, NextToken }),
    );
    for (const s of page.SecretList ?? []) {
      const periodDays = s.RotationRules?.AutomaticallyAfterDays;
      // The name filter matches prefixes of words too: keep exactly this registry's names.
      if (!s.RotationEnabled || periodDays === undefined || !s.Name?.startsWith(`${namePrefix}/`)) continue;
      const last = s.LastRotatedDate ?? s.CreatedDate;
      if (last === undefined) continue;
      found.push({ name: s.Name, periodDays, lastRotatedMs: last.getTime() });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}
