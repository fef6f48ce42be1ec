/**
 * A function's environment that depends on declarations made after the function (clients, routes): its variables are
 * known when the function is created, their values are produced at synth, when every declaration is in.
 */
import { Lazy } from 'cdktf';

/**
 * `produce()`'s variables now, each valued by `produce()` at synth (called once there). Which variables are set must
 * not depend on later declarations, only their values: synth fails naming a variable that appeared or went.
 */
export function synthEnvironment(produce: () => Record<string, string>): Record<string, string> {
  const names = Object.keys(produce());
  let atSynth: Record<string, string> | undefined;
  const final = (): Record<string, string> => {
    if (atSynth) return atSynth;
    atSynth = produce();
    const changed = [...names.filter((n) => !(n in atSynth!)), ...Object.keys(atSynth).filter((n) => !names.includes(n))];
    if (changed.length > 0) throw new Error(`environment variables ${changed.join(', ')} came or went after the function was created`);
    return atSynth;
  };
  return Object.fromEntries(names.map((name) => [name, Lazy.stringValue({ produce: () => final()[name] })]));
}
