/**
 * The picker's standalone mode: an Envoy proxy in the picker's pod that asks the EPP (over
 * ext-proc on loopback) which serving pod gets each request, then forwards it there. No
 * Gateway implementation, no Gateway API CRDs: what llm-d-router v0.10.0 calls "Standalone
 * Mode" (README.md; chart `config/charts/llm-d-router-standalone`, proxy preset `envoy` in
 * `config/charts/routerlib/values.yaml`). The Envoy config below keeps that preset's
 * data path (ext_proc in FULL_DUPLEX_STREAMED, the only mode the EPP supports; an
 * ORIGINAL_DST cluster steered by the `x-gateway-destination-endpoint` header the EPP sets;
 * TLS to the EPP, which serves ext-proc over a self-signed certificate by default) and drops
 * its debugging extras.
 */

import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IService } from "kubernetes-models/v1/Service";
import { stringify } from "yaml";
import {
  EPP_EXT_PROC_PORT,
  type PickerSidecar,
  type PickerTarget,
  pickerLabels,
  restrictedContainer,
} from "./picker";

/** The proxy's client-facing listener (the preset's `http-8081`). */
export const PROXY_PORT = 8081;
/** The proxy's readiness listener (`/ready`, the preset's 19001). */
const PROXY_READY_PORT = 19001;
/** Envoy's admin interface, on loopback only. */
const PROXY_ADMIN_PORT = 19000;
/** The header carrying the EPP's chosen `ip:port` (the preset's `original_dst_lb_config`). */
export const DESTINATION_HEADER = "x-gateway-destination-endpoint";

/** Name of the proxy's ConfigMap and of the LAN-facing Service: `<server>-gateway`. */
export function proxyName(t: PickerTarget): string {
  return `${t.name}-gateway`;
}

const HCM =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const ROUTER = {
  name: "envoy.filters.http.router",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
    suppress_envoy_headers: true,
  },
};
const socket = (address: string, port: number) => ({
  socket_address: { address, port_value: port },
});

/**
 * Envoy's bootstrap config. Fails closed: with the EPP unreachable there is no destination
 * header, so there is nowhere to send a request anyway (the preset's sidecar default).
 * Requests may stream for a day (the preset's route and idle timeouts), as long generations do.
 */
export function envoyConfig(): Record<string, unknown> {
  return {
    admin: { address: socket("127.0.0.1", PROXY_ADMIN_PORT) },
    static_resources: {
      listeners: [
        {
          name: "ready",
          address: socket("0.0.0.0", PROXY_READY_PORT),
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": HCM,
                    stat_prefix: "ready",
                    route_config: { name: "ready", virtual_hosts: [] },
                    http_filters: [
                      {
                        name: "envoy.filters.http.health_check",
                        typed_config: {
                          "@type":
                            "type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck",
                          pass_through_mode: false,
                          headers: [{ name: ":path", string_match: { exact: "/ready" } }],
                        },
                      },
                      ROUTER,
                    ],
                  },
                },
              ],
            },
          ],
        },
        {
          name: "vllm",
          address: socket("0.0.0.0", PROXY_PORT),
          per_connection_buffer_limit_bytes: 32768,
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": HCM,
                    stat_prefix: "vllm",
                    route_config: {
                      name: "vllm",
                      virtual_hosts: [
                        {
                          name: "vllm",
                          domains: ["*"],
                          routes: [
                            {
                              match: { prefix: "/" },
                              route: {
                                cluster: "original_destination_cluster",
                                timeout: "86400s",
                                idle_timeout: "86400s",
                              },
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: "envoy.filters.http.ext_proc",
                        typed_config: {
                          "@type":
                            "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
                          failure_mode_allow: false,
                          grpc_service: {
                            envoy_grpc: {
                              cluster_name: "ext_proc",
                              authority: `localhost:${EPP_EXT_PROC_PORT}`,
                            },
                            timeout: "10s",
                          },
                          processing_mode: {
                            request_header_mode: "SEND",
                            response_header_mode: "SEND",
                            request_body_mode: "FULL_DUPLEX_STREAMED",
                            response_body_mode: "FULL_DUPLEX_STREAMED",
                            request_trailer_mode: "SEND",
                            response_trailer_mode: "SEND",
                          },
                          message_timeout: "1000s",
                        },
                      },
                      ROUTER,
                    ],
                    use_remote_address: true,
                    normalize_path: true,
                    merge_slashes: true,
                    common_http_protocol_options: {
                      headers_with_underscores_action: "REJECT_REQUEST",
                    },
                    path_with_escaped_slashes_action: "UNESCAPE_AND_REDIRECT",
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: "original_destination_cluster",
          type: "ORIGINAL_DST",
          connect_timeout: "1000s",
          lb_policy: "CLUSTER_PROVIDED",
          original_dst_lb_config: { use_http_header: true, http_header_name: DESTINATION_HEADER },
        },
        {
          name: "ext_proc",
          type: "STATIC",
          connect_timeout: "86400s",
          lb_policy: "LEAST_REQUEST",
          transport_socket: {
            name: "envoy.transport_sockets.tls",
            typed_config: {
              "@type":
                "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
              common_tls_context: { validation_context: {} },
            },
          },
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: "ext_proc",
            endpoints: [
              { lb_endpoints: [{ endpoint: { address: socket("127.0.0.1", EPP_EXT_PROC_PORT) } }] },
            ],
          },
        },
      ],
    },
  };
}

/** The ConfigMap holding {@link envoyConfig} as `envoy.yaml`. */
export function proxyConfigMap(t: PickerTarget): IConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: proxyName(t),
      namespace: t.namespace,
      labels: { ...pickerLabels(t), "app.kubernetes.io/managed-by": "pulumi" },
    },
    data: { "envoy.yaml": stringify(envoyConfig()) },
  };
}

/** The Envoy container and its config volume, added to the picker's pod. */
export function proxySidecar(t: PickerTarget, image: string): PickerSidecar {
  const container: IContainer = {
    name: "envoy",
    image,
    imagePullPolicy: "IfNotPresent",
    command: ["envoy"],
    args: ["--log-level", "warn", "--drain-time-s", "60", "-c", "/etc/envoy/envoy.yaml"],
    ports: [
      { name: "http", containerPort: PROXY_PORT, protocol: "TCP" },
      { name: "ready", containerPort: PROXY_READY_PORT, protocol: "TCP" },
    ],
    readinessProbe: {
      httpGet: { path: "/ready", port: PROXY_READY_PORT, scheme: "HTTP" },
      periodSeconds: 5,
      failureThreshold: 1,
    },
    livenessProbe: {
      httpGet: { path: "/ready", port: PROXY_READY_PORT, scheme: "HTTP" },
      periodSeconds: 10,
      failureThreshold: 3,
    },
    resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    securityContext: restrictedContainer(),
    volumeMounts: [{ name: "envoy", mountPath: "/etc/envoy", readOnly: true }],
  };
  return {
    containers: [container],
    volumes: [{ name: "envoy", configMap: { name: proxyName(t) } }],
  };
}

/**
 * The LAN entry point: a NodePort Service on the proxy's listener, so every node's address
 * answers on `nodePort` (MicroK8s ships no load balancer without the MetalLB addon and an
 * address pool to hand it; a NodePort needs neither). Service port 80 for in-cluster clients.
 */
export function proxyService(t: PickerTarget, nodePort: number): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: proxyName(t),
      namespace: t.namespace,
      labels: { ...pickerLabels(t), "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      type: "NodePort",
      selector: pickerLabels(t),
      ports: [{ name: "http", port: 80, targetPort: PROXY_PORT, nodePort, protocol: "TCP" }],
    },
  };
}
