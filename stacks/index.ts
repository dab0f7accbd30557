import * as pulumi from "@pulumi/pulumi";
import { gke } from "./gke";
import { homelab } from "./homelab";
import { programFor } from "./select";

/** The stack's outputs: the program its name selects (see ./select). */
export = programFor(pulumi.getStack()) === "gke" ? gke() : homelab();
