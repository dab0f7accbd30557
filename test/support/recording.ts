/** Lookups into a recording of registered resources, shared by the component and stack tests. */
import type { RecordedResource, Recording } from "../../cli/recorder";

/**
 * The resource registered as `name` (and as `type`, when given). Throws naming what is missing,
 * so a test fails on the lookup rather than on a property of `undefined`.
 */
export function recorded(rec: Recording, name: string, type?: string): RecordedResource {
  const found = rec.resources.find(
    (r) => r.name === name && (type === undefined || r.type === type),
  );
  if (!found) throw new Error(`no ${type ?? "resource"} ${name}`);
  return found;
}
