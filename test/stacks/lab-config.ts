/** The smallest home-lab stack config the settings accept: a controller and two DGX Sparks. */
import { HOST_KEYS } from "../microk8s/fixtures";

const spark = (n: number) => ({
  name: `spark-${n}`,
  host: `10.0.0.${20 + n}`,
  hostKey: HOST_KEYS[n],
  roceAddress: `192.168.100.${n}`,
});

/** Plain config values (before `raw`), for tests to extend with the keys they exercise. */
export const MINIMAL_LAB = {
  controllerHost: "10.0.0.10",
  controllerHostKey: HOST_KEYS[0],
  workers: [spark(1), spark(2)],
  roceInterface: "enp1s0f0np0",
  roceHcas: ["rocep1s0f0", "roceP2p1s0f0"],
};
