import type { Command } from "commander";

/** Placeholder: this command's owner replaces the file. */
export function register(_program: Command): void {}
