/** API Gateway's route matching, for local mode's routes. */

/** Matches `METHOD /path/{param}/{proxy+}` the way API Gateway does; returns path parameters or undefined. */
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
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
  };
}
