/** API Gateway's route matching, for local mode's routes. */

/** A path whose percent-encoding does not decode (`%ZZ`, `%c0%ae`): the request is bad, whatever route it aims at. */
export class MalformedPathError extends Error {
  constructor(readonly segment: string) {
    super('the request path has malformed percent-encoding');
    this.name = 'MalformedPathError';
  }
}

/** `decodeURIComponent`, throwing `MalformedPathError` instead of a bare `URIError`. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MalformedPathError(segment);
  }
}

/**
 * Matches `METHOD /path/{param}/{proxy+}` the way API Gateway does; returns decoded path parameters or undefined.
 * Throws `MalformedPathError` when the path matches but a parameter does not decode.
 */
export function routeMatcher(routeKey: string): (method: string, pathname: string) => Record<string, string> | undefined {
  const [routeMethod, routePath] = routeKey.split(' ');
  const names: string[] = [];
  const pattern = routePath
    .split('/')
    .map((segment) => {
      const param = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  const regex = new RegExp(`^${pattern}$`);
  return (method, pathname) => {
    if (routeMethod !== 'ANY' && routeMethod !== method) return undefined;
    const found = regex.exec(pathname);
    if (!found) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodePathSegment(found[i + 1])]));
  };
}
