/** Helpers shared by the command definitions. Kept tiny: this is loaded by every command. */
export type SetExitCode = (code: number) => void;

/** Commander accumulator for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
