import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { INPUT_NODE_FIELDS, pendingValue } from "../microk8s/config";
import { hostKeyProblem } from "../microk8s/host-key";
import { remoteInvocation } from "../microk8s/scripts/common";
import { systemPathProblem } from "../model/cache";
import { parseOrThrow } from "../validation";
import {
  exportOptions,
  exportsLine,
  nfsClientScript,
  nfsServerScript,
  nfsUnexportScript,
} from "./scripts";

/** A machine reached over SSH. */
export interface NfsHostArgs {
  /** SSH host (name or address; may be another resource's output). */
  host: pulumi.Input<string>;
  /** SSH user; needs passwordless sudo. */
  user: string;
  /** SSH port. Defaults to 22. */
  port?: number;
  /**
   * The host's public SSH key, `<type> <base64>` (`ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-`).
   * Required: every command pins it.
   */
  hostKey: pulumi.Input<string>;
  /** Address the machine has on the network the export is used from. Defaults to `host`. */
  address?: pulumi.Input<string>;
}

/** A machine that mounts the export. */
export interface NfsClientArgs extends NfsHostArgs {
  /** Its name (e.g. its node name): identity of its resources, never a list position. */
  name: string;
}

/** Arguments of {@link NfsExport}. */
export interface NfsExportArgs {
  /** The machine that exports the directory (the home lab's controller). */
  server: NfsHostArgs;
  /** Machines whose pods mount the export: they get the NFS client. Defaults to none. */
  clients?: NfsClientArgs[];
  /** SSH private key for every machine. Wrapped as a secret here. */
  privateKey: pulumi.Input<string>;
  /** Absolute directory to export, created if absent; system directories are refused. */
  path: string;
  /**
   * Who may mount it: hosts or addresses (no wildcards, no networks wider than /24).
   * Defaults to every client's `address` (or `host`): exactly the hosts that mount it.
   */
  allowedClients?: string[];
  /**
   * uid every client user (root in the pods included) is squashed to, and the owner of the
   * directory. Defaults to 65534 (`nobody`, exports(5)'s default anonymous uid).
   */
  ownerUid?: number;
  /** gid clients are squashed to and the directory's group. Defaults to 65534 (`nogroup`). */
  ownerGid?: number;
}

const NOBODY = 65534;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/;
const hostName = z.string().regex(HOST, "must be a host name or an IP address");
const hostFields = {
  host: hostName,
  user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name"),
  port: z.number().int().min(1).max(65535).default(22),
  hostKey: z
    .string({ message: "required: the host's public SSH key (ssh-keyscan)" })
    .superRefine((v, ctx) => {
      const problem = hostKeyProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  address: hostName.optional(),
};
const host = z.object(hostFields).strict();
const client = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS name"),
    ...hostFields,
  })
  .strict();
const id = z
  .number()
  .int()
  .min(1, "must be > 0: uid/gid 0 would make clients root")
  .max(4294967294);

const schema = z
  .object({
    server: host,
    clients: z.array(client).default([]),
    path: z.string().superRefine((v, ctx) => {
      const problem = systemPathProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
      else if (!/^\/[A-Za-z0-9._/-]*$/.test(v)) {
        ctx.addIssue({ code: "custom", message: "must be a path of letters, digits, . _ - /" });
      }
    }),
    allowedClients: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z0-9.:-]+(\/(2[4-9]|3[0-2]))?$/,
            "must be a host, an address or a network no wider than /24 (no wildcards)",
          ),
      )
      .min(1)
      .optional(),
    ownerUid: id.default(NOBODY),
    ownerGid: id.default(NOBODY),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.allowedClients && v.clients.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["allowedClients"],
        message: "no clients and no allowedClients: nobody could mount the export",
      });
    }
    const names = v.clients.map((c) => c.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) {
        ctx.addIssue({ code: "custom", path: ["clients", i, "name"], message: `duplicate ${n}` });
      }
    });
  });

type Host = z.output<typeof host>;
type Client = z.output<typeof client>;

/** Everything an NfsExport runs, decided. */
export interface NfsExportPlan {
  server: Host;
  clients: Client[];
  path: string;
  /** The server's create and delete scripts. */
  serverScripts: { create: string; delete: string };
  /** Every client's create script (nothing to undo on delete: the package may serve others). */
  clientScript: string;
}

/**
 * Validates the arguments (with every host value known) and builds every script.
 * @throws ConfigError listing every problem by path.
 */
export function nfsExportPlan(args: unknown, context: string): NfsExportPlan {
  const v = parseOrThrow(schema, args, context);
  const allowed = v.allowedClients ?? v.clients.map((c) => c.address ?? c.host);
  const owner = { uid: v.ownerUid, gid: v.ownerGid };
  return {
    server: v.server,
    clients: v.clients,
    path: v.path,
    serverScripts: {
      create: nfsServerScript(v.path, exportsLine(v.path, allowed, exportOptions(owner)), owner),
      delete: nfsUnexportScript(),
    },
    clientScript: nfsClientScript(),
  };
}

type HostInputs = Record<(typeof INPUT_NODE_FIELDS)[number], unknown>;

/**
 * The arguments with each host's Input fields replaced by `values` (resolved, server first),
 * or, without values, by the known value or a valid stand-in, so known values are checked
 * at once and the shape (which commands) is fixed before any Output resolves.
 */
function withValues(args: NfsExportArgs, values?: HostInputs[]): Record<string, unknown> {
  const hosts = [args.server, ...(args.clients ?? [])] as unknown as HostInputs[];
  const [server, ...clients] = hosts.map((h, i) => {
    const out: Record<string, unknown> = { ...h };
    for (const f of INPUT_NODE_FIELDS) {
      const v = values ? values[i]?.[f] : h[f];
      out[f] = v === undefined || typeof v === "string" ? v : pendingValue(f, i);
    }
    return out;
  });
  const { privateKey: _, ...plain } = args;
  return { ...plain, server, ...(args.clients ? { clients } : {}) };
}

/**
 * A directory exported over NFS from one machine, and the NFS client on the machines whose
 * pods mount it — the home lab's shared model cache, so the GPU nodes download a model once.
 * Root is squashed (to the directory's owner), the export goes only to the clients, and
 * every command pins its host's SSH key. Pods that mount the export should `dependsOn` this
 * component; pass `dependsOn` the cluster's preflights so nothing changes before they pass.
 */
export class NfsExport extends pulumi.ComponentResource {
  /** The address clients mount from. */
  public readonly server: pulumi.Output<string>;
  /** The exported directory. */
  public readonly path: pulumi.Output<string>;

  constructor(name: string, args: NfsExportArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate what is known now: a bad config registers nothing, not even this component.
    const context = `NfsExport "${name}"`;
    const shape = nfsExportPlan(withValues(args), context);
    super("llm-serving:index:NfsExport", name, {}, opts);
    const inputs = [args.server, ...(args.clients ?? [])].map((h) => ({
      host: h.host,
      hostKey: h.hostKey,
      address: h.address,
    }));
    const plan = pulumi
      .all(inputs)
      .apply((values) => nfsExportPlan(withValues(args, values as HostInputs[]), context));
    const privateKey = pulumi.secret(args.privateKey);
    const connection = (h: pulumi.Output<Host>) => ({
      host: h.host,
      user: h.user,
      port: h.port,
      hostKey: h.hostKey,
      privateKey,
    });
    const target = (h: pulumi.Output<Host>) => pulumi.all([h.host, h.port, h.user]);
    const server = plan.apply((p) => p.server);
    new remote.Command(
      `${name}-export`,
      {
        connection: connection(server),
        create: plan.apply((p) => remoteInvocation(p.serverScripts.create)),
        delete: plan.apply((p) => remoteInvocation(p.serverScripts.delete)),
        triggers: target(server),
        addPreviousOutputInEnv: false,
      },
      { parent: this, deleteBeforeReplace: true },
    );
    for (const [i, c] of shape.clients.entries()) {
      const client = plan.apply((p) => p.clients[i] as Client);
      new remote.Command(
        `${name}-client-${c.name}`,
        {
          connection: connection(client),
          create: plan.apply((p) => remoteInvocation(p.clientScript)),
          triggers: target(client),
          addPreviousOutputInEnv: false,
        },
        { parent: this },
      );
    }
    this.server = server.apply((s) => s.address ?? s.host);
    this.path = pulumi.output(shape.path);
    this.registerOutputs({ server: this.server, path: this.path });
  }
}
