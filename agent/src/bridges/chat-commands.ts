/** Where a chat command was written (the router fills it from the inbound message). */
export interface ChatCommandContext {
  bridgeId: string;
  chatId: string;
  threadId?: string;
  /** Stable sender id ("" when the platform has none). */
  senderId: string;
}

/**
 * Extra chat commands a feature adds to every bridge (reminders). The router asks `handle` for any
 * `/name` it does not know itself, synchronously inside its inbound transaction; `null` means "not mine"
 * (the text then goes to the model). `help` is appended to the /help answer.
 */
export interface ChatCommands {
  readonly help: string;
  /** Answer of `/name args`, or null. Must not throw for user mistakes: answer them instead. */
  handle(ctx: ChatCommandContext, name: string, args: string): string | null;
}
