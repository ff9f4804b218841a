import type { ChatCommandContext, ChatCommands } from "../bridges/chat-commands.js";
import { UserError } from "../errors.js";
import type { ReminderStore } from "./reminder-store.js";
import { formatLocal, parseSchedule } from "./schedule.js";

export interface ReminderCommandOptions {
  store: ReminderStore;
  /** The device's time zone now (settings `device.timezone`, else the process's). */
  timezone: () => string;
  now?: () => Date;
  /** Called after a reminder was added or removed (the scheduler re-arms its timer). */
  changed?: () => void;
}

/** The chat's help line for these commands. */
export const REMINDER_HELP =
  "/remind 18:30 call mum (also: tomorrow 09:00 …, 2027-01-31 08:00 …, in 20m …), /every weekday 08:00 … (day, weekend, mon,thu …), /reminders (list), /forget <id>.";

/**
 * The chat commands of reminders, answered by the bridge router inside its inbound transaction:
 * `/remind <when> <text>`, `/every <days> <HH:MM> <text>`, `/reminders`, `/forget <id>`. A reminder
 * belongs to the bridge and chat it was set in and is delivered there. A mistake is answered with what
 * was wrong and how to write it (the UserError's message and fix), never thrown to the router.
 */
export class ReminderCommands implements ChatCommands {
  readonly help = REMINDER_HELP;

  constructor(private readonly o: ReminderCommandOptions) {}

  handle(ctx: ChatCommandContext, name: string, args: string): string | null {
    try {
      switch (name) {
        case "remind":
        case "every":
          return this.add(ctx, name === "every", args);
        case "reminders":
          return this.list(ctx);
        case "forget":
          return this.forget(ctx, args);
        default:
          return null;
      }
    } catch (err) {
      if (err instanceof UserError) return err.fix ? `${err.message}: ${err.fix}.` : `${err.message}.`;
      throw err;
    }
  }

  private add(ctx: ChatCommandContext, repeat: boolean, args: string): string {
    const timezone = this.o.timezone();
    const now = this.o.now?.() ?? new Date();
    const { schedule, text } = parseSchedule(args, { repeat, now, timezone });
    const r = this.o.store.add({
      bridgeId: ctx.bridgeId,
      chatId: ctx.chatId,
      threadId: ctx.threadId,
      createdBy: ctx.senderId || ctx.chatId,
      text,
      schedule,
      timezone,
    });
    this.o.changed?.();
    const when = formatLocal(new Date(r.nextRunAt as string), timezone);
    return repeat
      ? `Reminder #${r.id} set: every ${schedule.label} (${timezone}), first on ${when}: ${text}`
      : `Reminder #${r.id} set for ${when} (${timezone}): ${text}`;
  }

  private list(ctx: ChatCommandContext): string {
    const list = this.o.store.list({ bridgeId: ctx.bridgeId, chatId: ctx.chatId });
    if (list.length === 0) return "No reminders in this chat. Set one with /remind 18:30 call mum.";
    return list
      .map((r) => {
        const next = formatLocal(new Date(r.nextRunAt as string), r.timezone);
        return `#${r.id} ${r.cron ? `every ${r.label}, next ${next}` : next}: ${r.text}`;
      })
      .join("\n");
  }

  private forget(ctx: ChatCommandContext, args: string): string {
    const id = Number(args.trim().replace(/^#/, ""));
    if (!Number.isInteger(id) || id <= 0) return "Which one? Write /forget <id> with an id from /reminders.";
    if (!this.o.store.cancel(id, { bridgeId: ctx.bridgeId, chatId: ctx.chatId }))
      return `There is no reminder #${id} in this chat (see /reminders).`;
    this.o.changed?.();
    return `Reminder #${id} removed.`;
  }
}
