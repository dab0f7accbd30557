/**
 * Entry point of the component package for other Pulumi languages: Pulumi's schema analyzer
 * starts here and follows the re-export to every component's TypeScript source.
 */
export * from "../components";
