import * as pulumi from "@pulumi/pulumi";

/** Pulumi's wire markers for secret values (stable protocol constants of the SDK's RPC layer). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** One resource registration, as the engine would have received it. */
export interface RecordedResource {
  /** The resource's URN (mock-generated, with the parent type chain). */
  urn: string;
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Logical name given to the constructor. */
  name: string;
  /** True for provider-managed resources, false for components. */
  custom: boolean;
  /** URN of the parent, empty for the stack's direct children. */
  parent: string;
  /** URNs this resource depends on (explicit `dependsOn`, expanded as the SDK sends them). */
  dependencies: string[];
  /** Inputs as sent; secret values stay wrapped (see {@link isSecretValue}). */
  inputs: Record<string, unknown>;
  /**
   * Output names the program asked the engine to treat as secret (`additionalSecretOutputs`).
   * The engine wraps them; plain mocks do not, so the recorder does it in the mock state.
   */
  additionalSecretOutputs: string[];
  /** The resource options the engine would act on in a diff (see {@link RecordedOptions}). */
  options?: RecordedOptions;
}

/**
 * The resource options that decide, besides the provider, whether a change updates or replaces
 * a resource and in which order (as the engine's step generator reads them from the request).
 */
export interface RecordedOptions {
  /** Property paths whose change forces a replacement (`replaceOnChanges`). */
  replaceOnChanges: string[];
  /** Property paths whose changes are ignored (`ignoreChanges`). */
  ignoreChanges: string[];
  /** `deleteBeforeReplace` when the program set it (true or false); undefined leaves it to the provider. */
  deleteBeforeReplace?: boolean;
  /** The provider's Delete is not called (`retainOnDelete`). */
  retainOnDelete: boolean;
  /** Deleting the resource fails (`protect`). */
  protect: boolean;
  /** `replacementTrigger`: a change of this value replaces the resource. */
  replacementTrigger?: unknown;
  /** URNs whose replacement replaces this resource too (`replaceWith`). */
  replaceWith: string[];
  /** Other URNs this resource was known by (`aliases`), resolved as the engine resolves them. */
  aliases: string[];
  /** The provider reference (`urn::id`), empty for the default provider or a component. */
  provider: string;
  /** Input property → URNs its value came from (the engine's `propertyDependencies`). */
  propertyDependencies: Record<string, string[]>;
}

/** A mock run's view of everything the program registered. */
export interface Recording {
  /** Every registration, in the order the program made them. */
  resources: RecordedResource[];
  /** Waits until every pending registration has reached the mock monitor. */
  settle(): Promise<void>;
}

/** What to run the program with. */
export interface RecordingOptions {
  project: string;
  stack: string;
  /** Stack config as `project:key` → raw string value, as `pulumi config` stores it. */
  config?: Record<string, string>;
  /** Keys of `config` (in `project:key` form) that are secrets. */
  secretKeys?: string[];
  /**
   * Return values for provider-managed resources; defaults to echoing the inputs,
   * which is what the engine shows in a preview of a create.
   */
  state?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown>;
  /** Results of provider function calls (invokes) by token; defaults to echoing the arguments. */
  call?: (token: string, inputs: Record<string, unknown>) => Record<string, unknown>;
}

/** True if `value` is a secret as the SDK serializes one. */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/** `value` wrapped as a secret in the SDK's wire form (what {@link isSecretValue} recognises). */
export function wrapSecret(value: unknown): { value: unknown } {
  return { [SIG_KEY]: SECRET_SIG, value } as { value: unknown };
}

/** True if `value` holds a secret anywhere inside it. */
export function containsSecret(value: unknown): boolean {
  if (isSecretValue(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
  return false;
}

/**
 * Replaces every secret inside `value` with `redaction` (or, if `redaction` is undefined,
 * with its plain value), so the result is ordinary data.
 */
export function unwrapSecrets(value: unknown, redaction?: string): unknown {
  if (isSecretValue(value)) {
    return redaction === undefined ? unwrapSecrets(value.value, redaction) : redaction;
  }
  if (Array.isArray(value)) return value.map((v) => unwrapSecrets(v, redaction));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, redaction)]),
    );
  }
  return value;
}

/** Wraps the named top-level outputs as secrets, as the engine does for `additionalSecretOutputs`. */
function markSecretOutputs(
  state: Record<string, unknown>,
  names: string[],
): Record<string, unknown> {
  if (names.length === 0) return state;
  const out = { ...state };
  for (const name of names) {
    if (out[name] !== undefined && !isSecretValue(out[name])) {
      out[name] = wrapSecret(out[name]);
    }
  }
  return out;
}

/** The parts of the SDK's `RegisterResourceRequest` the recorder reads. */
interface RegisterRequest {
  getAdditionalsecretoutputsList?(): string[];
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getReplaceonchangesList?(): string[];
  getIgnorechangesList?(): string[];
  getDeletebeforereplace?(): boolean;
  getDeletebeforereplacedefined?(): boolean;
  getRetainondelete?(): boolean | undefined;
  getProtect?(): boolean | undefined;
  getReplacementTrigger?(): { toJavaScript(): unknown } | undefined;
  getReplaceWithList?(): string[];
  getAliasesList?(): AliasMessage[];
  getAliasurnsList?(): string[];
  getProvider?(): string;
  getPropertydependenciesMap?(): {
    forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void;
  };
}

/** `pulumirpc.Alias`: a URN, or a spec of what differs from the resource's own URN parts. */
interface AliasMessage {
  getUrn(): string;
  getSpec(): AliasSpecMessage | undefined;
}

interface AliasSpecMessage {
  getName(): string;
  getType(): string;
  getStack(): string;
  getProject(): string;
  getParenturn(): string;
  getNoparent(): boolean;
}

/** `urn:pulumi:stack::project::qualified$type::name` → its parts (name may contain `::`). */
function urnParts(urn: string): { stack: string; project: string; types: string; name: string } {
  const [stack = "", project = "", types = "", ...name] = urn
    .replace(/^urn:pulumi:/, "")
    .split("::");
  return { stack, project, types, name: name.join("::") };
}

/**
 * The URN an alias stands for, built as the engine builds it: the resource's own stack, project,
 * parent and name unless the alias says otherwise; the parent contributes its type chain.
 */
export function aliasUrn(
  alias: {
    name?: string;
    type?: string;
    stack?: string;
    project?: string;
    parentUrn?: string;
    noParent?: boolean;
  },
  own: { urn: string; type: string; name: string; parent: string },
): string {
  const self = urnParts(own.urn);
  const type = alias.type || own.type;
  const parent = alias.noParent ? "" : alias.parentUrn || own.parent;
  const parentTypes = parent ? urnParts(parent).types : "";
  // The stack resource is no qualifier: its children's URNs start at their own type.
  const qualifier = parentTypes && parentTypes !== "pulumi:pulumi:Stack" ? `${parentTypes}$` : "";
  return `urn:pulumi:${alias.stack || self.stack}::${alias.project || self.project}::${qualifier}${type}::${alias.name || own.name}`;
}

function recordAliases(req: RegisterRequest, own: RecordedResource): string[] {
  const urns = [...(req.getAliasurnsList?.() ?? [])];
  for (const alias of req.getAliasesList?.() ?? []) {
    const spec = alias.getSpec();
    if (alias.getUrn()) urns.push(alias.getUrn());
    else if (spec) {
      urns.push(
        aliasUrn(
          {
            name: spec.getName(),
            type: spec.getType(),
            stack: spec.getStack(),
            project: spec.getProject(),
            parentUrn: spec.getParenturn(),
            noParent: spec.getNoparent(),
          },
          own,
        ),
      );
    }
  }
  return urns;
}

/** The request's resource options (aliases need the URN: filled in once it is known). */
function recordOptions(req: RegisterRequest): RecordedOptions {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap?.().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  const trigger = req.getReplacementTrigger?.();
  return {
    replaceOnChanges: req.getReplaceonchangesList?.() ?? [],
    ignoreChanges: req.getIgnorechangesList?.() ?? [],
    deleteBeforeReplace: req.getDeletebeforereplacedefined?.()
      ? (req.getDeletebeforereplace?.() ?? false)
      : undefined,
    retainOnDelete: req.getRetainondelete?.() === true,
    protect: req.getProtect?.() === true,
    replacementTrigger: trigger ? trigger.toJavaScript() : undefined,
    replaceWith: req.getReplaceWithList?.() ?? [],
    aliases: [],
    provider: req.getProvider?.() ?? "",
    propertyDependencies,
  };
}

/**
 * Installs Pulumi mocks (`preview=false`, so values are known) that record every
 * registration with its parent and dependencies, which plain `setMocks` does not expose.
 * Call before the program under test is imported.
 */
export async function recordRegistrations(options: RecordingOptions): Promise<Recording> {
  const resources: RecordedResource[] = [];
  const byKey = new Map<string, RecordedResource>();
  if (options.config) {
    pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  }
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const pending = byKey.get(`${args.type}::${args.name}`);
        if (pending) pending.inputs = args.inputs;
        const state = markSecretOutputs(
          options.state?.(args.type, args.name, args.inputs) ?? args.inputs,
          pending?.additionalSecretOutputs ?? [],
        );
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call(args) {
        return options.call?.(args.token, args.inputs) ?? args.inputs;
      },
    },
    options.project,
    options.stack,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, res: unknown) => void): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const record: RecordedResource = {
      urn: "",
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      inputs: {},
      additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
      options: recordOptions(req),
    };
    resources.push(record);
    byKey.set(`${record.type}::${record.name}`, record);
    return register(req, (err, res) => {
      const urn = (res as { getUrn?: () => string } | undefined)?.getUrn?.();
      if (urn) {
        record.urn = urn;
        if (record.options) record.options.aliases = recordAliases(req, record);
      }
      cb(err, res);
    });
  };
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    waitForRPCs(): Promise<void>;
  };
  return { resources, settle: () => settings.waitForRPCs() };
}
