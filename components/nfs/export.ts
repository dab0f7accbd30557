import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { remoteInvocation } from "../microk8s/scripts/common";
import { parseOrThrow } from "../validation";
import { exportsLine, nfsClientScript, nfsServerScript, nfsUnexportScript } from "./scripts";

/** A machine reached over SSH. */
export interface NfsHostArgs {
  /** SSH host (name or address). */
  host: string;
  /** SSH user; needs passwordless sudo. */
  user: string;
  /** SSH port. Defaults to 22. */
  port?: number;
  /** Address the machine has on the network the export is used from. Defaults to `host`. */
  address?: string;
}

/** Arguments of {@link NfsExport}. */
export interface NfsExportArgs {
  /** The machine that exports the directory (the home lab's controller). */
  server: NfsHostArgs;
  /** Machines whose pods mount the export: they get the NFS client. Defaults to none. */
  clients?: NfsHostArgs[];
  /** SSH private key for every machine (a Pulumi secret). */
  privateKey: pulumi.Input<string>;
  /** Absolute directory to export, created if absent. */
  path: string;
  /**
   * Who may mount it: hosts, addresses or CIDRs. Defaults to every client's `address`
   * (or `host`).
   */
  allowedClients?: string[];
  /**
   * Export options. Defaults to `rw,sync,no_subtree_check,no_root_squash`: vLLM runs as root
   * and writes the Hugging Face cache, which root squashing would forbid.
   */
  exportOptions?: string;
}

const DEFAULT_OPTIONS = "rw,sync,no_subtree_check,no_root_squash";
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$/, "must be a host name or an IP address");
const host = z
  .object({
    host: hostName,
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name"),
    port: z.number().int().min(1).max(65535).default(22),
    address: hostName.optional(),
  })
  .strict();

const schema = z
  .object({
    server: host,
    clients: z.array(host).default([]),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]*$/, "must be an absolute path of letters, digits, . _ - /"),
    allowedClients: z
      .array(
        z.string().regex(/^[A-Za-z0-9*.:-]+(\/\d{1,3})?$/, "must be a host, an address or a CIDR"),
      )
      .min(1)
      .optional(),
    exportOptions: z
      .string()
      .regex(/^[a-z_]+(=[A-Za-z0-9_]+)?(,[a-z_]+(=[A-Za-z0-9_]+)?)*$/, "must be exports(5) options")
      .default(DEFAULT_OPTIONS),
  })
  .superRefine((v, ctx) => {
    if (!v.allowedClients && v.clients.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["allowedClients"],
        message: "no clients and no allowedClients: nobody could mount the export",
      });
    }
  });

/** Everything an NfsExport runs, decided. */
export interface NfsExportPlan {
  server: z.output<typeof host>;
  clients: z.output<typeof host>[];
  path: string;
  /** The server's create and delete scripts. */
  serverScripts: { create: string; delete: string };
  /** Every client's create script (nothing to undo on delete: the package may serve others). */
  clientScript: string;
}

/**
 * Validates the arguments and builds every script.
 * @throws ConfigError listing every problem by path.
 */
export function nfsExportPlan(
  args: Omit<NfsExportArgs, "privateKey">,
  context: string,
): NfsExportPlan {
  const v = parseOrThrow(schema, args, context);
  const allowed = v.allowedClients ?? v.clients.map((c) => c.address ?? c.host);
  return {
    server: v.server,
    clients: v.clients,
    path: v.path,
    serverScripts: {
      create: nfsServerScript(v.path, exportsLine(v.path, allowed, v.exportOptions)),
      delete: nfsUnexportScript(),
    },
    clientScript: nfsClientScript(),
  };
}

/**
 * A directory exported over NFS from one machine, and the NFS client on the machines whose
 * pods mount it — the home lab's shared model cache, so the GPU nodes download a model once.
 * Pods that mount the export should `dependsOn` this component.
 */
export class NfsExport extends pulumi.ComponentResource {
  /** The address clients mount from. */
  public readonly server: pulumi.Output<string>;
  /** The exported directory. */
  public readonly path: pulumi.Output<string>;

  constructor(name: string, args: NfsExportArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const plan = nfsExportPlan(args, `NfsExport "${name}"`);
    super("llm-serving:index:NfsExport", name, {}, opts);
    const privateKey = pulumi.secret(args.privateKey);
    const connection = (h: z.output<typeof host>) => ({
      host: h.host,
      user: h.user,
      port: h.port,
      privateKey,
    });
    new remote.Command(
      `${name}-export`,
      {
        connection: connection(plan.server),
        create: remoteInvocation(plan.serverScripts.create),
        delete: remoteInvocation(plan.serverScripts.delete),
        addPreviousOutputInEnv: false,
      },
      { parent: this },
    );
    plan.clients.forEach((client, i) => {
      new remote.Command(
        `${name}-client-${i}`,
        {
          connection: connection(client),
          create: remoteInvocation(plan.clientScript),
          addPreviousOutputInEnv: false,
        },
        { parent: this },
      );
    });
    this.server = pulumi.output(plan.server.address ?? plan.server.host);
    this.path = pulumi.output(plan.path);
    this.registerOutputs({ server: this.server, path: this.path });
  }
}
