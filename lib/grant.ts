/**
 * Grants in one shape, like aws-cdk's `IGrantable`: a connection's tokens or proxy, or the registry's internal
 * introspection, can be granted to a protected route, a registry function, any `IamRole` of your stack, or a role
 * you name (its name or ARN, e.g. an existing Lambda's or an ECS task's role). Each grant returns what it created.
 */
import { createHash } from 'node:crypto';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument, type PolicyStatement } from './private/policy-document';

export type { PolicyStatement } from './private/policy-document';

/** Where a grant's statement goes: a role, and (for functions we deploy) their environment. */
export interface IGrantPrincipal {
  /** The role's name (may be a token). */
  readonly roleName: string;
  /** Adds `statement` to a policy of the role; returns that policy. */
  addToPrincipalPolicy(statement: PolicyStatement): IamRolePolicy;
  /** Sets an environment variable of the code running as this principal, when we deploy that code. */
  addEnvironment?(name: string, value: string): void;
}

/** Anything that can be granted permissions (a protected route, a registry function). */
export interface IGrantable {
  readonly grantPrincipal: IGrantPrincipal;
}

/** A role given by construct or by reference (anything with a `name`, such as `IamRole` or `DataAwsIamRole`). */
export interface RoleReference {
  readonly name: string;
}

/**
 * Who a grant is for: a protected route or registry function (`IGrantable`), a role of your stack (`IamRole`,
 * `DataAwsIamRole`), or an existing role by name or ARN (`'my-service'`, `'arn:aws:iam::123456789012:role/my-service'`).
 */
export type Grantee = IGrantable | RoleReference | string;

/** What a grant created. */
export interface Grant {
  /** The statement allowed. */
  readonly statement: PolicyStatement;
  /** The policy holding it: the function's own inline policy, or a new `aws_iam_role_policy` on the role. */
  readonly policy: IamRolePolicy;
  /** The role the policy is attached to (name; may be a token). */
  readonly roleName: string;
  /**
   * Environment variables the grantee's code needs. Set already on a registry function or route handler; for any
   * other role (an existing Lambda, an ECS task), set them on that code yourself.
   */
  readonly environment: Readonly<Record<string, string>>;
}

export function isGrantable(value: unknown): value is IGrantable {
  return typeof value === 'object' && value !== null && 'grantPrincipal' in value;
}

/**
 * A grant's policy on a role we do not deploy: a renamed policy (its name carries the region since this version) is
 * created before the old one is deleted, so the role never lacks the permission mid-apply.
 */
export const OUTSIDE_ROLE_POLICY_LIFECYCLE = { createBeforeDestroy: true } as const;

/** Options of `grantTo`. */
export interface GrantToOptions {
  /**
   * The name this grant's policy gets on a role we do not deploy. A role's policy names are unique per role, and a
   * policy of the same name replaces it: the name must be unique per registry and region.
   */
  readonly policyName: string;
  /** Construct id prefix of the policy created for a role (one per role). */
  readonly idPrefix: string;
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * Applies `statement` to `grantee`: added to its inline policy when it is ours, else in a new policy (created in
 * `scope`) attached to the role. Environment variables are set when the grantee's code is ours.
 */
export function grantTo(scope: Construct, grantee: Grantee, statement: PolicyStatement, options: GrantToOptions): Grant {
  const environment = { ...(options.environment ?? {}) };
  if (isGrantable(grantee)) {
    const principal = grantee.grantPrincipal;
    const policy = principal.addToPrincipalPolicy(statement);
    if (principal.addEnvironment) for (const [name, value] of Object.entries(environment)) principal.addEnvironment(name, value);
    return { statement, policy, roleName: principal.roleName, environment };
  }
  const roleName = roleNameOf(grantee);
  const key = typeof grantee === 'string' ? grantee : grantee instanceof Construct ? grantee.node.path : grantee.name;
  const id = `${options.idPrefix}${createHash('sha256').update(key).digest('hex').slice(0, 8).toUpperCase()}`;
  if (scope.node.tryFindChild(id)) throw new Error(`${options.policyName}: already granted to ${JSON.stringify(key)}`);
  const policy = new IamRolePolicy(scope, id, {
    name: options.policyName,
    role: roleName,
    policy: policyDocument([statement]),
    lifecycle: OUTSIDE_ROLE_POLICY_LIFECYCLE,
  });
  return { statement, policy, roleName, environment };
}

/** A role's name from a role construct, a name, or an ARN (`arn:<partition>:iam::<account>:role/<path>/<name>`). */
export function roleNameOf(grantee: RoleReference | string): string {
  if (typeof grantee !== 'string') return grantee.name;
  if (Token.isUnresolved(grantee)) return Fn.element(Fn.reverse(Fn.split('/', grantee)), 0);
  if (grantee.startsWith('arn:')) {
    const match = /^arn:[^:]+:iam::\d{12}:role\/(?:.*\/)?([\w+=,.@-]{1,64})$/.exec(grantee);
    if (!match) throw new Error(`grantee must be a role's name or ARN (arn:aws:iam::<account>:role/<name>), got "${grantee}"`);
    return match[1];
  }
  if (!/^[\w+=,.@-]{1,64}$/.test(grantee)) throw new Error(`grantee must be a role's name or ARN, got "${grantee}"`);
  return grantee;
}
