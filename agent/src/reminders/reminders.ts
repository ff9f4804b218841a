import type { Database } from "better-sqlite3";
import type { BridgeLogger } from "../bridges/types.js";
import { ReminderCommands } from "./reminder-commands.js";
import { type ReminderOutlet, ReminderScheduler } from "./reminder-scheduler.js";
import { ReminderStore } from "./reminder-store.js";

/** The reminder parts the agent wires together (start-agent), one store for chat, dashboard and delivery. */
export interface Reminders {
  store: ReminderStore;
  commands: ReminderCommands;
  scheduler: ReminderScheduler;
  /** The time zone reminders are read in now. */
  timezone: () => string;
}

/** The process's own time zone (TZ or /etc/localtime), the fallback before the wizard's device step. */
export const systemTimezone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * Builds store, chat commands and scheduler over one database. `timezone` is the device setting (read at
 * each command, so a change in the dashboard applies to reminders set afterwards; existing ones keep the
 * zone they were set in). `now` is the injected clock of tests.
 */
export function createReminders(o: {
  db: Database;
  log: BridgeLogger;
  outlet: (bridgeId: string) => ReminderOutlet | undefined;
  timezone: () => string | undefined;
  now?: () => Date;
}): Reminders {
  const timezone = () => o.timezone() ?? systemTimezone();
  const store = new ReminderStore(o.db, o.now);
  const scheduler = new ReminderScheduler({ db: o.db, store, outlet: o.outlet, log: o.log, now: o.now });
  const commands = new ReminderCommands({ store, timezone, now: o.now, changed: () => scheduler.poke() });
  return { store, commands, scheduler, timezone };
}
