/**
 * IAM policy statements and the JSON documents holding them: one shape for every function's inline policy, grants on
 * roles we do not deploy, and the data routes' integration roles.
 */

/** Values of one condition operator, by condition key (`{ 'kms:ViaService': 'secretsmanager.…' }`). */
export type PolicyConditionValues = Readonly<Record<string, string | readonly string[]>>;

/** One `Allow` statement of an IAM policy. */
export interface PolicyStatement {
  readonly sid?: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** The statement's `Condition` block, by operator (`StringEquals`, `ForAllValues:StringLike`…). @default none */
  readonly conditions?: Readonly<Record<string, PolicyConditionValues>>;
}

/** An IAM policy document (JSON) allowing `statements`; tokens inside resolve at synth. */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      ...(s.sid ? { Sid: s.sid } : {}),
      Effect: 'Allow',
      Action: [...s.actions],
      Resource: [...s.resources],
      ...(s.conditions && Object.keys(s.conditions).length > 0 ? { Condition: conditionBlock(s.conditions) } : {}),
    })),
  });
}

/** A statement's `Condition` block, copied so that later changes to the statement's objects do not leak in. */
function conditionBlock(conditions: Readonly<Record<string, PolicyConditionValues>>): Record<string, Record<string, string | string[]>> {
  return Object.fromEntries(
    Object.entries(conditions).map(([operator, byKey]) => [
      operator,
      Object.fromEntries(Object.entries(byKey).map(([key, value]) => [key, typeof value === 'string' ? value : [...value]])),
    ]),
  );
}
