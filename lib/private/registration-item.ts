/**
 * A registration as a Terraform-managed item of the registry's table (clients, connections): the runtime reads the
 * item, `cdktf diff` shows each change.
 */
import type { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';

/**
 * Terraform reads `${…}` and `%{…}` in strings as templates; escape those that are not cdktf token markers so a
 * description like "costs ${x}" stays literal.
 */
export function escapeTemplates(json: string): string {
  return json.replace(/\$\{(?!TfToken\[)/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * The item `{ pk: key, data: JSON of registration }` of `table`, with id `Resource` under `scope`. `dependsOn` takes
 * constructs, never their `fqn`: Terraform wants a bare reference there, and `${…}` fails `terraform init`.
 */
export function registrationItem(
  scope: Construct,
  table: DynamodbTable,
  key: string,
  registration: object,
  dependsOn: readonly ITerraformDependable[] = [],
): DynamodbTableItem {
  return new DynamodbTableItem(scope, 'Resource', {
    tableName: table.name,
    ...(dependsOn.length > 0 ? { dependsOn: [...dependsOn] } : {}),
    hashKey: 'pk',
    item: escapeTemplates(JSON.stringify({ pk: { S: key }, data: { S: JSON.stringify(registration) } })),
  });
}
