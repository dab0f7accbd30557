/**
 * A minimal Pulumi engine and resource monitor over gRPC, so a plugin's `Construct` can run
 * offline. The engine part takes the plugin's logs (kept for failure messages); the monitor
 * records every registration and answers with a URN, an id for custom resources, and the
 * inputs as outputs (what a preview-free mock does).
 */
import * as grpc from "@grpc/grpc-js";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import {
  GetRootResourceResponse,
  type LogRequest,
  SetRootResourceResponse,
} from "@pulumi/pulumi/proto/engine_pb";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import {
  type RegisterResourceRequest,
  RegisterResourceResponse,
  type SupportsFeatureRequest,
  SupportsFeatureResponse,
} from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";

/** Features this monitor admits to (the rest are answered "no", so the SDK avoids them). */
const FEATURES = new Set(["secrets", "resourceReferences", "outputValues"]);

/** One `RegisterResource` call, as the monitor saw it. */
export interface Registration {
  /** Resource type token. */
  type: string;
  /** Resource name. */
  name: string;
  /** Whether it is a custom (provider-managed) resource. */
  custom: boolean;
  /** The inputs as sent: secrets arrive wrapped in Pulumi's secret signature object. */
  object: Record<string, unknown>;
}

/** A running monitor. */
export interface MockMonitor {
  /** `127.0.0.1:<port>`: the engine address plugins take and `ConstructRequest.monitorEndpoint`. */
  endpoint: string;
  /** Everything registered so far. */
  registrations: Registration[];
  /** Every message the plugin logged through the engine. */
  logs: string[];
  /** Stops the server. */
  stop(): void;
}

/** Starts the monitor on a free loopback port. */
export async function startMockMonitor(project: string, stack: string): Promise<MockMonitor> {
  const registrations: Registration[] = [];
  const logs: string[] = [];
  const server = new grpc.Server();
  const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<never>) =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: "not in the mock monitor" }, null);
  const handlers: Record<string, unknown> = Object.fromEntries(
    Object.keys(ResourceMonitorService).map((k) => [k, unimplemented]),
  );
  handlers.supportsFeature = (
    call: grpc.ServerUnaryCall<SupportsFeatureRequest, SupportsFeatureResponse>,
    cb: grpc.sendUnaryData<SupportsFeatureResponse>,
  ) => cb(null, new SupportsFeatureResponse().setHassupport(FEATURES.has(call.request.getId())));
  handlers.registerResource = (
    call: grpc.ServerUnaryCall<RegisterResourceRequest, RegisterResourceResponse>,
    cb: grpc.sendUnaryData<RegisterResourceResponse>,
  ) => {
    const req = call.request;
    const object = req.getObject();
    registrations.push({
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      object: (object?.toJavaScript() ?? {}) as Record<string, unknown>,
    });
    const res = new RegisterResourceResponse();
    res.setUrn(`urn:pulumi:${stack}::${project}::${req.getType()}::${req.getName()}`);
    if (req.getCustom()) res.setId(`${req.getName()}-id`);
    if (object) res.setObject(object);
    cb(null, res);
  };
  handlers.registerResourceOutputs = (_call: unknown, cb: grpc.sendUnaryData<Empty>) =>
    cb(null, new Empty());
  server.addService(ResourceMonitorService, handlers as grpc.UntypedServiceImplementation);
  server.addService(EngineService, {
    log: (call: grpc.ServerUnaryCall<LogRequest, Empty>, cb: grpc.sendUnaryData<Empty>) => {
      logs.push(call.request.getMessage());
      cb(null, new Empty());
    },
    getRootResource: (_call: unknown, cb: grpc.sendUnaryData<GetRootResourceResponse>) =>
      cb(null, new GetRootResourceResponse()),
    setRootResource: (_call: unknown, cb: grpc.sendUnaryData<SetRootResourceResponse>) =>
      cb(null, new SetRootResourceResponse()),
    requirePulumiVersion: (_call: unknown, cb: grpc.sendUnaryData<Empty>) => cb(null, new Empty()),
    startDebugging: unimplemented,
  });
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? fail(err) : ok(p),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    registrations,
    logs,
    stop: () => server.forceShutdown(),
  };
}
