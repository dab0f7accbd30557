import { ConfigError } from "../components/validation";

/**
 * The NGC API key a stack's NIM server needs: an undeclared optional secret like `apiKey`
 * (a declared secret would be required in every stack, NIM or not), read with
 * `config.getSecret("ngcApiKey")`.
 * @param key the secret, or undefined when unset.
 * @throws ConfigError naming `ngcApiKey` when it is unset.
 */
export function requireNgcApiKey<T>(key: T | undefined): T {
  if (key === undefined) {
    throw new ConfigError("stack config", [
      {
        path: "ngcApiKey",
        message:
          "the NIM server needs an NGC API key to pull and run its image: pulumi config set --secret ngcApiKey <key> (ngc.nvidia.com → Setup → API Key), or turn the NIM off",
      },
    ]);
  }
  return key;
}
