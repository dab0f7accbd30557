import type * as pulumi from "@pulumi/pulumi";

/** The value an Output resolves to (under mocks with preview=false, every value is known). */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Whether an Output is marked secret (the SDK keeps that as a promise on the Output). */
export function outputIsSecret(output: pulumi.Output<unknown>): Promise<boolean> {
  return (output as unknown as { isSecret: Promise<boolean> }).isSecret;
}
