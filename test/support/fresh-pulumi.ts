/**
 * Setup file of the "pulumi" test project: gives every test file what a fresh process gave it
 * (a fresh Pulumi runtime and fresh project modules), without paying for the process. Node's
 * own module cache keeps @pulumi/pulumi, @pulumi/kubernetes, kubernetes-models and friends
 * loaded across files (the costly part: about 2.5 s of CPU per file); everything else starts
 * over before each file:
 *
 * - the project's modules (components, stacks, the CLI's recorder, test support) are
 *   evaluated again (`vi.resetModules`), so nothing a program did at import time carries over;
 * - the SDK's process-wide store (settings, config, stack resource, feature flags, leak
 *   candidates: `@pulumi/pulumi/runtime/state.ts`, `LocalStore`) is replaced by a new one,
 *   keeping only the resource-module and package registries, which the already-loaded
 *   provider SDKs filled once at import and would not fill again;
 * - the settings module's cached monitor and engine are dropped (`settings._reset`).
 */
import { vi } from "vitest";

interface Store {
  resourcePackages: unknown;
  resourceModules: unknown;
  packageRefs: unknown;
}

vi.resetModules();
const state = require("@pulumi/pulumi/runtime/state") as {
  LocalStore: new () => Store;
  getStore(): Store;
};
const settings = require("@pulumi/pulumi/runtime/settings") as { _reset(): void };
const global = globalThis as { globalStore?: Store };
const previous = global.globalStore;
const fresh = new state.LocalStore();
if (previous) {
  fresh.resourcePackages = previous.resourcePackages;
  fresh.resourceModules = previous.resourceModules;
  fresh.packageRefs = previous.packageRefs;
}
global.globalStore = fresh;
settings._reset();
if (state.getStore() !== fresh)
  throw new Error("fresh-pulumi: the SDK no longer keeps its store in globalStore");
