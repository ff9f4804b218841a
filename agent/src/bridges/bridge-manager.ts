import type { Database } from "better-sqlite3";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { InferenceService } from "../inference/types.js";
import type { ConversationStore } from "../store/conversation-store.js";
import type { BackoffOptions } from "./backoff.js";
import { BridgeRunner, type BridgeStatus } from "./bridge-runner.js";
import type { ChatCommands } from "./chat-commands.js";
import { type BridgeConfig, redactBridgeConfig } from "./config-schema.js";
import { getBridgeDefinition } from "./registry.js";
import type { BridgeLogger } from "./types.js";

/** Something with pino's `child`, so each bridge logs with its id. */
export interface ManagerLogger extends BridgeLogger {
  child(bindings: Record<string, unknown>): BridgeLogger;
}

export interface BridgeManagerOptions {
  db: Database;
  inference: InferenceService;
  conversations: ConversationStore;
  log: ManagerLogger;
  backoff?: BackoffOptions;
  /** Outbox retry period while connected, ms (BridgeRunner default 30 000). */
  flushIntervalMs?: number;
  /** Default system prompt of bridge conversations (a bridge's own `systemPrompt` wins). */
  systemPrompt?: string;
  /** Chat commands a feature adds to every bridge (reminders). */
  commands?: ChatCommands;
  /** Called after a bridge (re)connected (reminders due while it was down are delivered then). */
  onConnected?: (bridgeId: string) => void;
}

/** Status of one configured bridge, with its config minus secrets (safe for the API). */
export interface BridgeOverview extends BridgeStatus {
  enabled: boolean;
  config: BridgeConfig;
}

/**
 * Owns the running bridges. `apply(bridges)` compares the new `bridges:` map with the running one and
 * starts, stops or restarts only the bridges whose entry was added, removed or changed (deep compare of
 * the entry), so editing one bridge never drops the others' connections.
 */
export class BridgeManager {
  private readonly running = new Map<string, { key: string; config: BridgeConfig; runner?: BridgeRunner }>();

  constructor(private readonly opts: BridgeManagerOptions) {}

  /**
   * Brings the running set in line with `bridges` (ids → validated configs). Returns the ids started,
   * stopped and restarted. Throws UserError for an unknown bridge type (the schema normally catches it).
   */
  async apply(
    bridges: Record<string, BridgeConfig>,
  ): Promise<{ started: string[]; stopped: string[]; restarted: string[] }> {
    const result = { started: [] as string[], stopped: [] as string[], restarted: [] as string[] };
    for (const [id, entry] of [...this.running]) {
      const next = bridges[id];
      if (next && JSON.stringify(next) === entry.key) continue;
      await entry.runner?.stop();
      this.running.delete(id);
      if (!next) result.stopped.push(id);
      else result.restarted.push(id);
    }
    for (const [id, config] of Object.entries(bridges)) {
      if (this.running.has(id)) continue;
      const definition = getBridgeDefinition(config.type);
      if (!definition) {
        throw new UserError(`bridge "${id}" has unknown type "${config.type}"`, {
          code: ErrorCode.BRIDGE_TYPE,
          fix: "use one of the bridge types listed in the configuration docs",
        });
      }
      const entry: { key: string; config: BridgeConfig; runner?: BridgeRunner } = {
        key: JSON.stringify(config),
        config,
      };
      if (config.enabled !== false) {
        const log = this.opts.log.child({ bridge: id, bridgeType: config.type });
        entry.runner = new BridgeRunner({
          id,
          config,
          createAdapter: () => definition.create(config, { id, log }),
          db: this.opts.db,
          inference: this.opts.inference,
          conversations: this.opts.conversations,
          log,
          backoff: this.opts.backoff,
          flushIntervalMs: this.opts.flushIntervalMs,
          systemPrompt: this.opts.systemPrompt,
          commands: this.opts.commands,
          onConnected: (bridgeId) => this.opts.onConnected?.(bridgeId),
        });
        entry.runner.start();
      }
      this.running.set(id, entry);
      if (!result.restarted.includes(id)) result.started.push(id);
    }
    return result;
  }

  /** The runner of a bridge (tests, dashboard), if it is enabled. */
  runner(id: string): BridgeRunner | undefined {
    return this.running.get(id)?.runner;
  }

  /** Every configured bridge with its state; secrets replaced by "********". */
  overview(): BridgeOverview[] {
    return [...this.running.entries()].map(([id, e]) => ({
      ...(e.runner?.status() ?? { id, type: e.config.type, state: "stopped" as const, failures: 0 }),
      enabled: e.config.enabled !== false,
      config: redactBridgeConfig(e.config),
    }));
  }

  /** Stops every bridge. */
  async close(): Promise<void> {
    await this.apply({});
  }
}
