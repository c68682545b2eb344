/** The environment as the settings readers take it (src/config/settings-schema.ts). */
export type Env = Record<string, string | undefined>;
