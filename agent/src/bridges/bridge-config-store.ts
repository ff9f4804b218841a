import { type Document, isMap } from "yaml";
import { editConfigFile } from "../config/edit-config-file.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { checkBridgeId, restoreSecrets, validateBridgeEntry } from "./bridge-entry.js";
import type { BridgeManager } from "./bridge-manager.js";
import type { BridgeConfig } from "./config-schema.js";

/** What a change did: the config file written (null = none, kept in memory only) and the bridges touched. */
export interface BridgeChange {
  id: string;
  /** The config file the change was saved to, or null when the agent runs without one. */
  savedTo: string | null;
  started: string[];
  stopped: string[];
  restarted: string[];
}

/**
 * The `bridges:` map as the dashboard and the wizard change it. Each change is validated (registry
 * sub-schemas), written to the config file atomically (the YAML document is edited in place, so the
 * owner's other keys and comments stay), then handed to `BridgeManager.apply`, which restarts only the
 * bridge whose entry changed. Changes run one at a time (a second waits for the first).
 */
export class BridgeConfigStore {
  private running: Record<string, BridgeConfig>;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param file the config file the agent was started with (`--config`, or the device's), or null: changes
   *   then apply until the agent stops but are not saved.
   * @param manager the running bridges; `initial` must be the map it was last `apply`d with (config.bridges).
   * @param seal turns an entry's secrets into sealed values before it is written (secrets at rest); default
   *   none (written as given).
   */
  constructor(
    readonly file: string | null,
    private readonly manager: BridgeManager,
    initial: Record<string, BridgeConfig>,
    private readonly seal: (id: string, entry: BridgeConfig) => BridgeConfig = (_id, entry) => entry,
  ) {
    this.running = { ...initial };
  }

  /** The stored entry of bridge `id` (secrets included: never send it to a client), or undefined. */
  get(id: string): BridgeConfig | undefined {
    return this.running[id];
  }

  /**
   * Adds or replaces bridge `id`. Secret keys sent as "********" keep their stored value. Throws UserError:
   * 400 `bridge_id` / `bridge_config` (naming bridge and key) / `bridge_secret`, `config_file_unwritable` when the
   * file cannot be read, parsed or written. Nothing is written or restarted when it throws.
   */
  put(id: string, config: unknown): Promise<BridgeChange> {
    return this.serial(async () => {
      checkBridgeId(id);
      const given =
        config && typeof config === "object" && !Array.isArray(config)
          ? restoreSecrets(id, config as BridgeConfig, this.running[id])
          : config;
      const full = validateBridgeEntry(id, given);
      this.save((doc) => {
        if (!isMap(doc.get("bridges"))) doc.set("bridges", doc.createNode({}));
        doc.setIn(["bridges", id], doc.createNode(this.seal(id, given as BridgeConfig)));
      });
      return this.applyMap(id, { ...this.running, [id]: full });
    });
  }

  /**
   * Removes bridge `id` and stops only it. Throws UserError 404 `bridge_unknown` when there is no such
   * bridge, `config_file_unwritable` as in `put`.
   */
  remove(id: string): Promise<BridgeChange> {
    return this.serial(async () => {
      if (!this.running[id]) {
        throw new UserError(`there is no bridge "${id}"`, {
          code: ErrorCode.BRIDGE_UNKNOWN,
          status: 404,
          fix: "reload the list of bridges",
        });
      }
      this.save((doc) => {
        if (doc.hasIn(["bridges", id])) doc.deleteIn(["bridges", id]);
      });
      const { [id]: _gone, ...rest } = this.running;
      return this.applyMap(id, rest);
    });
  }

  private async applyMap(id: string, next: Record<string, BridgeConfig>): Promise<BridgeChange> {
    const result = await this.manager.apply(next);
    this.running = next;
    return { id, savedTo: this.file, ...result };
  }

  /** Edits the YAML document of the config file, validates the whole config, writes it atomically (0600). */
  private save(edit: (doc: Document) => void): void {
    if (this.file) editConfigFile(this.file, "the bridges", edit);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}
